// Sequential: forward/backward order, PyTorch-style names, modes, copies, summary with receptive field, gradcheck.
#include <minitorch/minitorch.hpp>

#include "../examples/mnist/mnist_net.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace minitorch;

TEST_CASE("Sequential: parameter names follow nn.Sequential, counts exclude buffers") {
    Generator gen(1);
    Sequential<float> net(Linear<float>({.in = 4, .out = 3}, gen), ReLU<float>(),
                          Linear<float>({.in = 3, .out = 2, .bias = false}, gen));
    auto params = net.parameters();
    REQUIRE(params.size() == 3);
    CHECK(params[0].name == "0.weight");
    CHECK(params[1].name == "0.bias");
    CHECK(params[2].name == "2.weight");
    CHECK(net.num_parameters() == 4 * 3 + 3 + 3 * 2);
    CHECK(net.size() == 3);
    CHECK(net.describe(1) == "ReLU()");
    CHECK(net.output_shape({5, 4}) == Shape{5, 2});
}

TEST_CASE("Sequential: train()/eval() reach every layer") {
    Sequential<float> net(Linear<float>({.in = 2, .out = 2}), Sigmoid<float>());
    net.eval();
    CHECK_FALSE(net.at<Linear<float>>(0).is_training());
    CHECK_FALSE(net.at<Sigmoid<float>>(1).is_training());
    net.train();
    CHECK(net.at<Linear<float>>(0).is_training());
    CHECK(net.at<Sigmoid<float>>(1).is_training());
    CHECK_THROWS_AS(net.at<ReLU<float>>(1), std::invalid_argument);
    CHECK_THROWS_AS(net.at<ReLU<float>>(5), std::out_of_range);
}

TEST_CASE("Sequential: copies are deep") {
    Sequential<double> a(Linear<double>({.in = 2, .out = 2}));
    Sequential<double> b = a;
    b.parameters()[0].value->fill(3.0);
    CHECK(a.parameters()[0].value->array().maxCoeff() < 1.0);
    CHECK(b.parameters()[0].value->array().minCoeff() == 3.0);
}

TEST_CASE("Sequential: gradcheck of Linear → Sigmoid → Linear, and through an MSE loss") {
    Generator gen(9);
    Sequential<double> net(Linear<double>({.in = 3, .out = 4}, gen), Sigmoid<double>(),
                           Linear<double>({.in = 4, .out = 2}, gen));
    Tensor<double> x({3, 3});
    normal_(x, 0, 1, gen);
    auto r = gradcheck(net, x);
    INFO(r.report);
    CHECK(r.ok);

    Tensor<double> t({3, 2});
    normal_(t, 0, 1, gen);
    MSELoss<double> mse;
    r = gradcheck_model(net, mse, x, t);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Sequential: summary prints shapes, parameters and receptive field") {
    Sequential<float> net(Linear<float>({.in = 4, .out = 3}), ReLU<float>());
    const std::string s = net.summary({4});
    CHECK(s.find("Linear(4→3)-0") != std::string::npos);
    CHECK(s.find("[-1, 3]") != std::string::npos);
    CHECK(s.find("Trainable params: 15") != std::string::npos);
    CHECK_THROWS_WITH_AS(net.summary({5}), "Linear(4→3): expected input [N, 4], got [1, 5]", std::invalid_argument);
}

TEST_CASE("Sequential: empty container errors") {
    Sequential<float> net;
    CHECK_THROWS_AS(net.forward(Tensor<float>({1})), std::logic_error);
    CHECK_THROWS_AS(net.backward(Tensor<float>({1})), std::logic_error);
}

TEST_CASE("Sequential: slice copies a range of layers") {
    Sequential<double> net(Linear<double>({.in = 4, .out = 3}), ReLU<double>(), Linear<double>({.in = 3, .out = 2}));
    Sequential<double> tail = net.slice(1, 3);
    CHECK(tail.size() == 2);
    CHECK(tail.describe(0) == "ReLU()");
    CHECK(tail.output_shape({5, 3}) == Shape{5, 2});
    CHECK(net.slice(0, 0).output_shape({5, 4}) == Shape{5, 4});
    CHECK(tail.parameters()[0].value->array().isApprox(net.parameters()[2].value->array()));
    CHECK_THROWS_AS(net.slice(2, 4), std::out_of_range);
}

TEST_CASE("Sequential: add and the constructor take named layers too (copied in)") {
    Standalone<Linear<double>> fc({.in = 2, .out = 2});
    Standalone<ReLU<double>> relu;
    Sequential<double> net(fc, relu);
    net.add(fc);
    CHECK(net.size() == 3);
    net.parameters()[0].value->fill(5.0);
    CHECK(fc.weight().array().maxCoeff() < 5.0);  // the container holds a copy
}

namespace {
// Conv2d → ReLU → BatchNorm2d → Conv2d → BatchNorm2d: every layer after the first reads the previous layer's output
// from the container's buffers in its backward (Conv2d and BatchNorm2d read x there, ReLU its y).
template <class T>
Sequential<T> buffers_net(Generator& gen) {
    return Sequential<T>(Conv2d<T>({.in = 2, .out = 3, .kernel = 3}, gen), ReLU<T>(), BatchNorm2d<T>({.features = 3}),
                         Conv2d<T>({.in = 3, .out = 4, .kernel = 2, .padding = 1}, gen),
                         BatchNorm2d<T>({.features = 4}));
}
}  // namespace

TEST_CASE("Sequential: the container's buffers give the numbers of its layers run one by one on their own") {
    Generator gen(21), data(22);
    Sequential<float> net = buffers_net<float>(gen);
    Sequential<float> copy = net;  // the same weights, run layer by layer as Standalone layers (each its own copies)
    Tensor<float> x({4, 2, 7, 6}), dy({4, 4, 6, 5});
    normal_(x, 0, 1, data);
    normal_(dy, 0, 1, data);

    const Tensor<float> y = net.forward(x);
    const Tensor<float> dx = net.backward(dy);
    auto c0 = standalone(copy.at<Conv2d<float>>(0));
    auto r1 = standalone(copy.at<ReLU<float>>(1));
    auto b2 = standalone(copy.at<BatchNorm2d<float>>(2));
    auto c3 = standalone(copy.at<Conv2d<float>>(3));
    auto b4 = standalone(copy.at<BatchNorm2d<float>>(4));
    // Each intermediate is copied before the next layer sees it: no layer can rely on its input staying put.
    Tensor<float> h = c0.forward(x);
    h = Tensor<float>(r1.forward(h));
    h = Tensor<float>(b2.forward(h));
    h = Tensor<float>(c3.forward(h));
    const Tensor<float> y_ref = b4.forward(h);
    Tensor<float> g = b4.backward(dy);
    g = Tensor<float>(c3.backward(g));
    g = Tensor<float>(b2.backward(g));
    g = Tensor<float>(r1.backward(g));
    const Tensor<float> dx_ref = c0.backward(g);

    CHECK(y == y_ref);
    CHECK(dx == dx_ref);
    CHECK(dx.array().abs().maxCoeff() > 0.0f);
    Sequential<float> ref(c0, r1, b2, c3, b4);  // the Standalone layers' state, in a container, to compare by name
    const auto p = net.parameters(), q = ref.parameters();
    REQUIRE(p.size() == q.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        INFO(p[i].name);
        CHECK(*p[i].value == *q[i].value);  // running statistics too
        if (p[i].trainable()) CHECK(*p[i].grad == *q[i].grad);
    }
}

TEST_CASE("Sequential: gradcheck through layers that read their inputs from the container (Conv2d, BatchNorm2d)") {
    Generator gen(23);
    Sequential<double> net = buffers_net<double>(gen);
    Tensor<double> x({3, 2, 6, 5});
    normal_(x, 0, 1, gen);
    Tensor<double> t(net.output_shape(x.shape()));
    normal_(t, 0, 1, gen);
    MSELoss<double> mse;
    const auto r = gradcheck_model(net, mse, x, t);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Sequential: a copy made between forward and backward needs its own forward") {
    Generator gen(24);
    Sequential<double> net = buffers_net<double>(gen);
    Tensor<double> x({2, 2, 5, 5});
    normal_(x, 0, 1, gen);
    const Tensor<double> dy(net.forward(x).shape(), 1.0);
    Sequential<double> copy = net;
    CHECK_THROWS_WITH_AS(copy.backward(dy),
                         "Sequential: backward called without a forward before it (call forward(x) first)",
                         std::logic_error);
    CHECK_NOTHROW(net.backward(dy));
    CHECK_NOTHROW(copy.forward(x));
    CHECK_NOTHROW(copy.backward(dy));
}

TEST_CASE("Sequential: backward refuses a gradient not of the output's shape, and a forward on a moved-from state") {
    Generator gen(25);
    Sequential<double> net = buffers_net<double>(gen);
    Tensor<double> x({2, 2, 5, 5});
    normal_(x, 0, 1, gen);
    const Shape y_shape = net.forward(x).shape();
    CHECK_THROWS_WITH_AS(
        net.backward(Tensor<double>({2, 4, 4, 5})),
        ("Sequential(5 layers): expected gradient of the output's shape " + to_string(y_shape) + ", got [2, 4, 4, 5]")
            .c_str(),
        std::invalid_argument);
    Sequential<double> moved = std::move(net);  // the layers move, the forward does not
    CHECK_THROWS_AS(moved.backward(Tensor<double>(y_shape, 1.0)), std::logic_error);
    moved.forward(x);
    CHECK_NOTHROW(moved.backward(Tensor<double>(y_shape, 1.0)));
}

namespace {

/// A batch of N random images of `shape` (after N), with a few training-mode forwards first so the BatchNorm running
/// statistics are not the initial 0 and 1; the net is left in eval mode.
template <class Net>
Tensor<float> prepared_for_eval(Net& net, Shape shape, std::uint64_t seed) {
    Generator data(seed);
    Tensor<float> x(shape);
    for (int step = 0; step < 3; ++step) {
        normal_(x, 0, 1, data);
        net.forward(x);
    }
    net.eval();
    normal_(x, 0, 1, data);
    return x;
}

}  // namespace

TEST_CASE("Sequential::infer gives forward's numbers bit for bit, in slices, with 1 and 2 threads") {
    for (std::size_t threads : {1, 2}) {
        set_num_threads(threads);
        INFO("threads: " << threads);
        Generator gen(31);
        // The MNIST net (Conv2d, ReLU, BatchNorm2d, Dropout, MaxPool2d, AvgPool2d, Flatten, LogSoftmax), 45 images:
        // slices of 4·threads images and a shorter last one.
        Sequential<float> cnn = mnist_example::make_net<float>(gen);
        const Tensor<float> images = prepared_for_eval(cnn, {45, 1, 28, 28}, 32);
        const Tensor<float> expected = cnn.forward(images);
        CHECK(cnn.infer(images, 4) == expected);
        CHECK(cnn.infer(images) == expected);  // default slices (8 images at a time per thread)
        CHECK(cnn.infer(images, 64) == expected);  // one slice per thread
        CHECK(expected.array().abs().minCoeff() > 0.0f);  // log-probabilities: a real output, not zeros
        // Linear, BatchNorm1d, Sigmoid on [N, features]: Linear's float product computes each row from its own row
        // of the input, so a slice's rows are the whole batch's bit for bit too.
        Sequential<float> mlp(Flatten<float>(), Linear<float>({.in = 12, .out = 8}, gen),
                              BatchNorm1d<float>({.features = 8}), Sigmoid<float>(), Dropout<float>({.p = 0.5}, gen),
                              Linear<float>({.in = 8, .out = 3}, gen), LogSoftmax<float>());
        const Tensor<float> rows = prepared_for_eval(mlp, {23, 3, 4}, 33);
        const Tensor<float> expected_rows = mlp.forward(rows);  // a copy: infer reuses the layers' outputs
        const Tensor<float>& got = mlp.infer(rows, 2);
        REQUIRE(got.shape() == expected_rows.shape());
        CHECK(got == expected_rows);
        CHECK(mlp.infer(rows, 5) == expected_rows);  // other slices: the same bits
        CHECK(expected_rows.array().abs().minCoeff() > 0.0f);
    }
    set_num_threads(1);
}

namespace {

/// y = 2x, a layer written by a user against layer.hpp: no infer of its own, yet Sequential::infer runs it on every
/// thread with that thread's buffers.
class Doubler : public TrainingMode {
public:
    using scalar_type = float;
    struct Cache {};
    std::string describe() const { return "Doubler()"; }
    Shape output_shape(const Shape& s) const { return s; }
    const Tensor<float>& forward(const Tensor<float>& x, Tensor<float>& y, Cache&) {
        y.resize(x.shape());
        y.array() = 2.0f * x.array();
        return y;
    }
    void backward(const Tensor<float>&, const Tensor<float>&, const Cache&, const Tensor<float>& dy,
                  Tensor<float>& dx) {
        dx.resize(dy.shape());
        dx.array() = 2.0f * dy.array();
    }
    std::vector<ParameterRef<float>> parameters() { return {}; }
};
static_assert(Layer<Doubler>);

/// The layer's eval-mode forward from two threads at once, each with its own y and cache (what Sequential::infer
/// does), against the eval-mode forward of a Standalone copy, bit for bit.
template <class L>
void check_eval_forward_from_two_threads(L layer, const Shape& shape, std::uint64_t seed) {
    INFO(layer.describe());
    Generator data(seed);
    Tensor<float> x(shape);
    Standalone<L> alone(layer);
    for (int step = 0; step < 2; ++step) {  // training forwards first: BatchNorm's running statistics move
        normal_(x, 0, 1, data);
        alone.forward(x);
    }
    alone.eval();
    normal_(x, 0, 1, data);
    const Tensor<float> expected = alone.forward(x);
    L& shared = alone;  // both threads run the same layer object
    Tensor<float> mine, theirs;
    typename L::Cache my_cache{}, their_cache{};
    const Tensor<float>*got_mine = nullptr, *got_theirs = nullptr;  // y, or x itself (an identity in eval mode)
    std::thread other([&] {
        for (int round = 0; round < 10; ++round) got_theirs = &shared.forward(x, theirs, their_cache);
    });
    for (int round = 0; round < 10; ++round) got_mine = &shared.forward(x, mine, my_cache);
    other.join();
    CHECK((got_mine == &mine || got_mine == &x));
    CHECK((got_theirs == &theirs || got_theirs == &x));
    CHECK(*got_mine == expected);
    CHECK(*got_theirs == expected);
    CHECK(expected.array().abs().maxCoeff() > 0.0f);
}

}  // namespace

TEST_CASE("Every layer's eval-mode forward: the same bits from two threads at once, each with its own buffers") {
    Generator gen(41);
    check_eval_forward_from_two_threads(Conv2d<float>({.in = 16, .out = 32, .kernel = 3, .bias = false}, gen),
                                        {3, 16, 26, 26}, 1);
    check_eval_forward_from_two_threads(Conv2d<float>({.in = 12, .out = 14, .kernel = 3, .padding = 1}, gen),
                                        {3, 12, 6, 6}, 2);
    check_eval_forward_from_two_threads(Conv2d<float>({.in = 3, .out = 5, .kernel = 3, .stride = 2, .padding = 1}, gen),
                                        {2, 3, 9, 9}, 3);
    check_eval_forward_from_two_threads(Conv2d<float>({.in = 32, .out = 10, .kernel = 1, .bias = false}, gen),
                                        {3, 32, 24, 24}, 4);
    check_eval_forward_from_two_threads(ReLU<float>(), {4, 5, 7}, 5);
    check_eval_forward_from_two_threads(Sigmoid<float>(), {4, 37}, 6);
    check_eval_forward_from_two_threads(BatchNorm2d<float>({.features = 16}), {4, 16, 10, 10}, 7);
    check_eval_forward_from_two_threads(BatchNorm1d<float>({.features = 6}), {5, 6}, 8);
    check_eval_forward_from_two_threads(BatchNorm1d<float>({.features = 6}), {5, 6, 7}, 9);
    check_eval_forward_from_two_threads(Dropout<float>({.p = 0.3}, gen), {4, 9}, 10);
    check_eval_forward_from_two_threads(MaxPool2d<float>({.kernel = 2}), {3, 10, 24, 24}, 11);
    check_eval_forward_from_two_threads(MaxPool2d<float>({.kernel = 3, .stride = 2}), {3, 4, 11, 9}, 12);
    check_eval_forward_from_two_threads(AvgPool2d<float>({.kernel = 6}), {3, 14, 6, 6}, 13);
    check_eval_forward_from_two_threads(Flatten<float>(), {3, 4, 2, 2}, 14);
    check_eval_forward_from_two_threads(Linear<float>({.in = 40, .out = 10}, gen), {33, 40}, 15);
    check_eval_forward_from_two_threads(LogSoftmax<float>(), {6, 10}, 16);
    check_eval_forward_from_two_threads(Doubler(), {3, 5}, 17);
}

TEST_CASE("Sequential::infer with a user's layer: forward's numbers, on every thread") {
    Generator gen(42);
    for (std::size_t threads : {1, 2}) {
        set_num_threads(threads);
        Sequential<float> net(Conv2d<float>({.in = 2, .out = 3, .kernel = 3}, gen), Doubler(), ReLU<float>(),
                              BatchNorm2d<float>({.features = 3}));
        const Tensor<float> x = prepared_for_eval(net, {21, 2, 7, 7}, 43);
        const Tensor<float> expected = net.forward(x);
        CHECK(net.infer(x, 4) == expected);
        CHECK(expected.array().abs().maxCoeff() > 0.0f);
    }
    set_num_threads(1);
}

TEST_CASE("Sequential::infer: errors") {
    Generator gen(34);
    Sequential<float> net(Linear<float>({.in = 3, .out = 2}, gen));
    const Tensor<float> x({40, 3});
    CHECK_THROWS_WITH_AS(net.infer(x),
                         "Sequential::infer: the container is in training mode; call eval() first (or use forward to "
                         "train)",
                         std::logic_error);
    net.eval();
    CHECK_THROWS_WITH_AS(net.infer(x, 0), "Sequential::infer: images_per_thread must be ≥ 1", std::invalid_argument);
    CHECK_THROWS_WITH_AS(net.infer(Tensor<float>(Shape{})), "Sequential::infer: expected a batch [N, …], got a scalar",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(Sequential<float>().infer(x), "Sequential: infer on an empty container", std::logic_error);
    CHECK(net.infer(x, 3).shape() == Shape{40, 2});
    CHECK(net.infer(Tensor<float>({0, 3})).shape() == Shape{0, 2});  // an empty batch
    // nothing is kept for backward
    CHECK_THROWS_AS(net.backward(Tensor<float>({40, 2})), std::logic_error);
}

// ---- state_dict / load_state_dict in memory (issue 15) ---------------------------------------------------------------

TEST_CASE("Sequential: state_dict round trip in memory, PyTorch's names, copies that do not alias the model") {
    Generator g1(1), g2(2);
    Sequential<float> a = mnist_example::make_net<float>(g1);
    Sequential<float> b = mnist_example::make_net<float>(g2);
    // Move a's BatchNorm statistics away from their initial values, so buffers are compared too.
    Tensor<float> x(Shape{4, 1, 28, 28});
    normal_(x, 0, 1, g1);
    a.forward(x);
    const StateDict<float> sd = a.state_dict();
    std::vector<std::string> names;
    for (auto& p : a.parameters()) names.push_back(p.name);
    CHECK(sd.keys() == names);  // parameters() order: "0.weight", "2.weight", "2.bias", "2.running_mean", …
    CHECK(sd.keys()[0] == "0.weight");
    CHECK(sd.at("2.num_batches_tracked")[0] == 1.f);
    CHECK_FALSE(b.state_dict() == sd);

    const LoadStateDictResult r = b.load_state_dict(sd);
    CHECK(r.missing_keys.empty());
    CHECK(r.unexpected_keys.empty());
    CHECK(b.state_dict() == sd);
    a.eval();
    b.eval();
    const Tensor<float> ya = a.forward(x);
    CHECK(ya == b.forward(x));

    // The dict holds copies: changing the model afterwards does not change it, and vice versa.
    StateDict<float> copy = a.state_dict();
    a.parameters()[0].value->fill(3.f);
    CHECK(copy.at("0.weight") == sd.at("0.weight"));
    copy.at("0.weight").fill(-1.f);
    CHECK((*b.parameters()[0].value)[0] != -1.f);
}

TEST_CASE("Sequential: load_state_dict reports every mismatch at once and leaves the model untouched") {
    Generator g(3);
    Sequential<float> net(Linear<float>({.in = 4, .out = 3}, g), ReLU<float>(), BatchNorm1d<float>({.features = 3}),
                          Linear<float>({.in = 3, .out = 2}, g));
    const StateDict<float> before = net.state_dict();
    StateDict<float> sd = before;
    sd.at("0.weight") = Tensor<float>(Shape{3, 5}, 1.f);  // wrong shape
    sd.erase("3.bias");                                   // missing
    sd.insert("4.weight", Tensor<float>(Shape{2}, 1.f));  // unexpected
    sd.at("2.num_batches_tracked")[0] = -2.f;             // not a count
    sd.at("2.running_mean").fill(9.f);                    // fits: still not copied
    const std::string expected = "load_state_dict: the state_dict does not match the model (4 problems):\n"
                                 "  0.weight: state_dict has [3, 5], model has [3, 4]\n"
                                 "  missing: 3.bias (model has [2], the state_dict has no such tensor)\n"
                                 "  unexpected: 4.weight (in the state_dict, not in the model)\n"
                                 "  \"2.num_batches_tracked\" must hold a non-negative whole number, got -2";
    CHECK_THROWS_WITH_AS(net.load_state_dict(sd), expected.c_str(), StateDictError);
    CHECK(net.state_dict() == before);

    // strict = false: missing and unexpected names are returned, a shape mismatch is still refused (as PyTorch).
    CHECK_THROWS_WITH_AS(net.load_state_dict(sd, false),
                         "load_state_dict: the state_dict does not match the model (2 problems):\n"
                         "  0.weight: state_dict has [3, 5], model has [3, 4]\n"
                         "  \"2.num_batches_tracked\" must hold a non-negative whole number, got -2",
                         StateDictError);
    CHECK(net.state_dict() == before);
    sd.at("0.weight") = Tensor<float>(Shape{3, 4}, 0.5f);
    sd.at("2.num_batches_tracked")[0] = 5.f;
    const LoadStateDictResult r = net.load_state_dict(sd, false);
    CHECK(r.missing_keys == std::vector<std::string>{"3.bias"});
    CHECK(r.unexpected_keys == std::vector<std::string>{"4.weight"});
    CHECK(net.state_dict().at("0.weight") == Tensor<float>(Shape{3, 4}, 0.5f));
    CHECK(net.state_dict().at("2.running_mean") == Tensor<float>(Shape{3}, 9.f));
    CHECK(net.state_dict().at("3.bias") == before.at("3.bias"));  // missing: left as it was
}

TEST_CASE("zero_grad on a single layer: Linear, Conv2d, BatchNorm members and the free function (issue 15)") {
    Generator g(8);
    Standalone<Linear<double>> fc({.in = 3, .out = 2}, g);
    Standalone<Conv2d<double>> conv({.in = 1, .out = 2, .kernel = 2}, g);
    Standalone<BatchNorm1d<double>> bn({.features = 2});
    const auto accumulate = [&](auto& layer, const Shape& in) {
        Tensor<double> x(in);
        normal_(x, 0, 1, g);
        const Shape out = layer.forward(x).shape();
        layer.backward(Tensor<double>(out, 1.0));
        double sum = 0;
        for (auto& p : layer.parameters())
            if (p.trainable()) sum += p.grad->array().abs().sum();
        return sum;
    };
    const auto all_zero = [](auto& layer) {
        for (auto& p : layer.parameters())
            if (p.trainable() && (p.grad->array() != 0.0).any()) return false;
        return true;
    };
    REQUIRE(accumulate(fc, {4, 3}) > 0);
    REQUIRE(accumulate(conv, {2, 1, 3, 3}) > 0);
    REQUIRE(accumulate(bn, {4, 2}) > 0);
    const Tensor<double> w = fc.weight();
    fc.zero_grad();
    conv.zero_grad();
    bn.zero_grad();
    CHECK(all_zero(fc));
    CHECK(all_zero(conv));
    CHECK(all_zero(bn));
    CHECK(fc.weight() == w);  // only the gradients
    // The free function works for any layer, here one that was never a member's.
    REQUIRE(accumulate(fc, {4, 3}) > 0);
    minitorch::zero_grad(fc);
    CHECK(all_zero(fc));
}
