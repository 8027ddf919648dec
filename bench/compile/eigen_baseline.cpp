// Issue 16's baseline: what any small C++ program that uses Eigen costs to compile — <Eigen/Dense> and <iostream>,
// two matrices multiplied and printed. Timed against readme_model.cpp and examples/mnist/mnist.cpp by
// bench/compile_time.py; not a build target.
#include <Eigen/Dense>

#include <iostream>

int main() {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(64, 64), b = Eigen::MatrixXf::Random(64, 64);
    const Eigen::MatrixXf c = a * b;
    std::cout << c.sum() << '\n';
}
