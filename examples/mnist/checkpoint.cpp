// The MNIST example's checkpoints (checkpoint.hpp).
#include "checkpoint.hpp"

#include <minitorch/io/files.hpp>
#include <minitorch/io/safetensors.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

using namespace minitorch;

namespace mnist_example {

void check_can_save(const std::string& path) {
    std::string target;
    try {  // a directory, a device, a FIFO: refused now, not by the save after the first epoch
        target = files::replace_target(path).string();
    } catch (const std::runtime_error& e) {
        throw SafetensorsError(path + ": cannot save: " + e.what());
    }
    const std::string tmp = target + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        throw SafetensorsError(path + ": cannot save: cannot create " + tmp + ": " + std::strerror(err));
    }
    ::close(fd);
    ::unlink(tmp.c_str());
}

void save_checkpoint(const std::string& path, Sequential<float>& net, std::size_t epoch, double test_accuracy) {
    char accuracy[32];
    std::snprintf(accuracy, sizeof accuracy, "%.4f", test_accuracy);
    save_safetensors(path, net.parameters(),
                     {{"epoch", std::to_string(epoch)},
                      {"test_accuracy", accuracy},
                      {"architecture", "minitorch course MNIST CNN (examples/mnist/mnist_net.hpp)"}});
}

void load_checkpoint(const std::string& path, Sequential<float>& net) {
    load_safetensors(path, net.parameters());
}

}  // namespace mnist_example
