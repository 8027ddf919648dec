// The training-loop helper: a short run on a small synthetic data set whose loss must fall; a non-finite loss is an
// error naming the pass, epoch and batch — in training (divergence) and in evaluation (a model broken only in eval
// mode); the same seed and thread count reproduce every number; evaluate() counts correctly.
#include <minitorch/data/mnist.hpp>
#include <minitorch/minitorch.hpp>
#include <minitorch/train/loop.hpp>

#include "support/synthetic_digits.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <regex>
#include <string>

using namespace minitorch;
using test_support::small_net, test_support::synthetic_dataset;

namespace {

struct Run {
    std::vector<double> train_loss;
    EpochResult test;
};

Run train(std::uint64_t seed, std::size_t epochs, double lr, std::size_t threads) {
    set_num_threads(threads);
    const MnistDataset ds = synthetic_dataset(7);
    DataLoader loader(ds, {.batch_size = 32, .shuffle = true, .seed = seed});
    DataLoader eval_loader(ds, {.batch_size = 64});
    Sequential<float> net = small_net(seed);
    SGD<float> opt(net.parameters(), {.lr = lr, .momentum = 0.9});
    NLLLoss<float> loss;
    NLLLoss<float> sum_loss(Reduction::sum);
    Batch batch;
    Run run;
    std::FILE* sink = std::tmpfile();
    for (std::size_t e = 1; e <= epochs; ++e)
        run.train_loss.push_back(
            train_epoch(net, loss, opt, loader, batch, e, [] {}, {.out = sink, .mode = ProgressMode::lines}).loss);
    std::fclose(sink);
    run.test = evaluate(net, sum_loss, eval_loader, batch);
    set_num_threads(1);
    return run;
}

}  // namespace

TEST_CASE("train_epoch: the loss falls on a learnable synthetic task and accuracy rises") {
    const Run run = train(1, 6, 0.05, 1);
    INFO("first epoch loss ", run.train_loss.front(), ", last ", run.train_loss.back());
    CHECK(run.train_loss.back() < 0.5 * run.train_loss.front());
    CHECK(run.test.total == 200);
    CHECK(run.test.accuracy() > 0.9);  // chance is 0.25
}

TEST_CASE("train_epoch: the same seed and thread count reproduce every number") {
    for (std::size_t threads : {1u, 2u}) {
        const Run a = train(3, 2, 0.05, threads), b = train(3, 2, 0.05, threads);
        CHECK(a.train_loss == b.train_loss);
        CHECK(a.test.loss == b.test.loss);
        CHECK(a.test.correct == b.test.correct);
    }
}

TEST_CASE("train_epoch: a diverging run stops with an error naming the epoch and the batch") {
    const MnistDataset ds = synthetic_dataset(7);
    DataLoader loader(ds, {.batch_size = 32, .shuffle = true, .seed = 1});
    Sequential<float> net = small_net(1);
    SGD<float> opt(net.parameters(), {.lr = 1e6, .momentum = 0.9});
    NLLLoss<float> loss;
    Batch batch;
    std::FILE* sink = std::tmpfile();
    try {
        for (std::size_t e = 1; e <= 5; ++e)
            train_epoch(net, loss, opt, loader, batch, e, [] {}, {.out = sink, .mode = ProgressMode::lines});
        FAIL("training with lr 1e6 did not diverge");
    } catch (const NonFiniteLossError& err) {
        const std::string msg = err.what();
        INFO(msg);
        CHECK(err.pass() == NonFiniteLossError::Pass::training);
        CHECK(err.epoch() >= 1);
        CHECK(err.batches() == 7);  // 200 images in batches of 32
        CHECK(err.batch() < err.batches());
        CHECK_FALSE(std::isfinite(err.loss()));
        // batch() counts from 0 (Batch::index); the message counts from 1, as the progress line does.
        const std::regex expected(R"(non-finite loss \((-?nan|-?inf)\) in training at epoch )" +
                                  std::to_string(err.epoch()) + ", batch " + std::to_string(err.batch() + 1) +
                                  " of 7: training diverged; lower the learning rate");
        CHECK(std::regex_match(msg, expected));
    }
    std::fclose(sink);
}

TEST_CASE("evaluate: a model that is broken only in eval mode (a BatchNorm running_var of NaN) throws") {
    // Training mode normalises with the batch's statistics, eval mode with the running ones: with running_var NaN the
    // training loss stays finite and only evaluation sees the NaN. evaluate() must not report that as a result.
    const MnistDataset ds = synthetic_dataset(7);
    DataLoader loader(ds, {.batch_size = 32, .shuffle = true, .seed = 1});
    DataLoader eval_loader(ds, {.batch_size = 64});  // 4 batches
    Sequential<float> net = small_net(1);
    SGD<float> opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
    NLLLoss<float> loss;
    NLLLoss<float> sum_loss(Reduction::sum);
    Batch batch;
    std::FILE* sink = std::tmpfile();
    const auto train = [&](std::size_t epoch) {
        return train_epoch(net, loss, opt, loader, batch, epoch, [] {}, {.out = sink, .mode = ProgressMode::lines});
    };
    train(1);
    CHECK(std::isfinite(evaluate(net, sum_loss, eval_loader, batch, 1).loss));

    bool found = false;
    for (auto& p : net.parameters())
        if (p.name == "2.running_var") {
            (*p.value)[1] = std::numeric_limits<float>::quiet_NaN();
            found = true;
        }
    REQUIRE(found);
    CHECK(std::isfinite(train(2).loss));  // training does not notice

    const std::string rest = R"(: the model is not finite in eval mode \(NaN or overflowing weights or BatchNorm )"
                             R"(running statistics\))";
    try {
        evaluate(net, sum_loss, eval_loader, batch, 2);
        FAIL("evaluate did not throw on a NaN running_var");
    } catch (const NonFiniteLossError& err) {
        INFO(err.what());
        CHECK(err.pass() == NonFiniteLossError::Pass::evaluation);
        CHECK(err.epoch() == 2);
        CHECK(err.batch() == 0);  // the first batch already has NaN outputs
        CHECK(err.batches() == 4);
        CHECK(std::isnan(err.loss()));
        const std::regex expected(R"(non-finite loss \(-?nan\) in evaluation at epoch 2, batch 1 of 4)" + rest +
                                  "; lower the learning rate");
        CHECK(std::regex_match(std::string(err.what()), expected));
    }
    // Without an epoch (e.g. evaluating loaded weights) the message leaves it out, and the advice on the learning rate.
    try {
        evaluate(net, sum_loss, eval_loader, batch);
        FAIL("evaluate did not throw on a NaN running_var");
    } catch (const NonFiniteLossError& err) {
        INFO(err.what());
        CHECK(err.epoch() == 0);
        const std::regex expected(R"(non-finite loss \(-?nan\) in evaluation, batch 1 of 4)" + rest);
        CHECK(std::regex_match(std::string(err.what()), expected));
    }
    std::fclose(sink);
}

namespace {
/// A batch source over fixed batches (images [N, 1, 8, 8], labels), for inputs a DataLoader cannot produce.
struct FixedBatches {
    std::vector<Tensor<float>> images;
    std::vector<std::vector<std::int64_t>> labels;
    std::size_t next_index = 0;
    std::size_t num_batches() const { return images.size(); }
    void start_epoch(std::size_t) { next_index = 0; }
    bool next(Batch& b) {
        if (next_index == images.size()) return false;
        b.images = images[next_index];
        b.labels = labels[next_index];
        b.index = next_index++;
        return true;
    }
};
}  // namespace

TEST_CASE("train_epoch: a NaN in the input is named as such, and the model is as it was before that batch") {
    // Before (issue 15): "training diverged; lower the learning rate", with BatchNorm's running statistics already
    // NaN and num_batches_tracked counting the batch, so a caller that skipped the batch evaluated NaN.
    set_num_threads(1);
    Generator gen(4);
    FixedBatches source;
    for (std::size_t b = 0; b < 3; ++b) {
        Tensor<float> x(Shape{8, 1, 8, 8});
        normal_(x, 0, 1, gen);
        source.images.push_back(x);
        source.labels.push_back({0, 1, 2, 3, 0, 1, 2, 3});
    }
    source.images[1][77] = std::numeric_limits<float>::quiet_NaN();  // the second batch, image 1
    Sequential<float> net = small_net(2);
    SGD<float> opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
    NLLLoss<float> loss;
    Batch batch;
    std::FILE* sink = std::tmpfile();
    FixedBatches first_only = source;
    first_only.images.resize(1);
    first_only.labels.resize(1);
    train_epoch(net, loss, opt, first_only, batch, 1, [] {}, {.out = sink, .mode = ProgressMode::lines});
    const StateDict<float> before = net.state_dict();  // weights and buffers after batch 1
    CHECK(before.at("2.num_batches_tracked")[0] == 1.f);
    try {
        train_epoch(net, loss, opt, source, batch, 2, [] {}, {.out = sink, .mode = ProgressMode::lines});
        FAIL("train_epoch did not throw on a NaN input");
    } catch (const NonFiniteLossError& err) {
        CHECK(err.input_not_finite());
        CHECK(err.batch() == 1);
        CHECK(std::regex_match(std::string(err.what()),
                               std::regex(R"(non-finite loss \(-?nan\) in training at epoch 2, batch 2 of 3: the input )"
                                          R"(batch is not finite \(NaN or infinity in its images\); the model is as it )"
                                          R"(was before this batch)")));
    }
    // Batch 1 of epoch 2 trained (its step and statistics are in); the NaN batch left no trace in the state.
    const StateDict<float> after = net.state_dict();
    CHECK(after.at("2.num_batches_tracked")[0] == 2.f);
    for (const auto& [name, t] : after)
        for (float v : t) CHECK(std::isfinite(v));
    // Precisely: the state equals that of a run that saw batch 1 of epoch 2 only.
    Sequential<float> ref = small_net(2);
    SGD<float> ref_opt(ref.parameters(), {.lr = 0.05, .momentum = 0.9});
    train_epoch(ref, loss, ref_opt, first_only, batch, 1, [] {}, {.out = sink, .mode = ProgressMode::lines});
    train_epoch(ref, loss, ref_opt, first_only, batch, 2, [] {}, {.out = sink, .mode = ProgressMode::lines});
    // (Dropout's generator moved on in the failed batch, so compare everything but what Dropout draws: the state.)
    CHECK(ref.state_dict() == after);
    std::fclose(sink);
}

TEST_CASE("evaluate with details: the confusion matrix and the most confident mistakes, as computed directly") {
    set_num_threads(1);
    const MnistDataset ds = synthetic_dataset(7);
    DataLoader loader(ds, {.batch_size = 32, .shuffle = true, .seed = 3});
    DataLoader eval_loader(ds, {.batch_size = 48});  // 200 = 4·48 + 8: a short last batch
    Sequential<float> net = small_net(3);
    SGD<float> opt(net.parameters(), {.lr = 0.02, .momentum = 0.9});
    NLLLoss<float> loss, sum_loss(Reduction::sum);
    Batch batch;
    std::FILE* sink = std::tmpfile();
    train_epoch(net, loss, opt, loader, batch, 1, [] {}, {.out = sink, .mode = ProgressMode::lines});
    std::fclose(sink);

    EvaluationDetails details{.keep_mistakes = 5};
    const EpochResult r = evaluate(net, sum_loss, eval_loader, batch, 0, details);

    // The same pass by hand: forward in eval mode, argmax, softmax at the argmax.
    std::vector<std::vector<std::size_t>> confusion(4, std::vector<std::size_t>(4, 0));
    std::vector<Mistake> mistakes;
    eval_loader.start_epoch(0);
    while (eval_loader.next(batch)) {
        const Tensor<float>& out = net.forward(batch.images);
        for (std::size_t n = 0; n < batch.size(); ++n) {
            std::size_t best = 0;
            for (std::size_t j = 1; j < 4; ++j)
                if (out(n, j) > out(n, best)) best = j;
            ++confusion[static_cast<std::size_t>(batch.labels[n])][best];
            if (best != static_cast<std::size_t>(batch.labels[n]))
                mistakes.push_back({batch.indices[n], batch.labels[n], static_cast<std::int64_t>(best),
                                    std::exp(static_cast<double>(out(n, best)))});  // log-probabilities
        }
    }
    std::size_t sum = 0;
    for (const auto& row : details.confusion)
        for (const std::size_t c : row) sum += c;
    CHECK(sum == r.total);
    CHECK(r.total == 200);
    CHECK(details.correct() == r.correct);
    CHECK(details.confusion == confusion);
    REQUIRE(mistakes.size() >= 5);  // the test needs mistakes to rank: one epoch leaves plenty
    std::sort(mistakes.begin(), mistakes.end(),
              [](const Mistake& a, const Mistake& b) { return a.probability > b.probability; });
    REQUIRE(details.mistakes.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
        INFO("mistake ", i);
        CHECK(details.mistakes[i].index == mistakes[i].index);
        CHECK(details.mistakes[i].label == mistakes[i].label);
        CHECK(details.mistakes[i].predicted == mistakes[i].predicted);
        CHECK(details.mistakes[i].probability == doctest::Approx(mistakes[i].probability).epsilon(1e-6));
        if (i > 0) CHECK(details.mistakes[i].probability <= details.mistakes[i - 1].probability);
    }
    // keep_mistakes = 0 keeps none; the matrix is the same, and a second call replaces, not adds.
    EvaluationDetails none{.keep_mistakes = 0};
    evaluate(net, sum_loss, eval_loader, batch, 0, none);
    evaluate(net, sum_loss, eval_loader, batch, 0, none);
    CHECK(none.mistakes.empty());
    CHECK(none.confusion == confusion);
}
