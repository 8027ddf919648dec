// The zlib the aarch64 cross build links when there is no arm64 zlib (Debian installs zlib1g-dev:arm64 only after
// `dpkg --add-architecture arm64`, which scripts/setup does not do): the four functions data/gzip.hpp calls and the
// three io/png.hpp calls, each failing with a message that says so (a PNG cannot be written: --report fails cleanly). The short runs read uncompressed IDX files, which never reach zlib; a .gz file
// fails cleanly ("<file>: cannot initialise zlib (zlib: …)"). Used by tests/isa/CMakeLists.txt only in that build.
#include <zlib.h>

namespace {
char message[] = "this aarch64 cross build has no zlib (no arm64 zlib1g-dev): only uncompressed IDX files can be read";
}

extern "C" {

int inflateInit2_(z_streamp strm, int, const char*, int) {
    if (strm) strm->msg = message;
    return Z_STREAM_ERROR;
}
int inflate(z_streamp strm, int) {
    if (strm) strm->msg = message;
    return Z_STREAM_ERROR;
}
int inflateReset(z_streamp strm) {
    if (strm) strm->msg = message;
    return Z_STREAM_ERROR;
}
int inflateEnd(z_streamp) {
    return Z_OK;
}
uLong compressBound(uLong source_length) {
    return source_length + source_length / 1000 + 64;
}
int compress2(Bytef*, uLongf*, const Bytef*, uLong, int) {
    return Z_STREAM_ERROR;
}
uLong crc32(uLong, const Bytef*, uInt) {
    return 0;
}

}  // extern "C"
