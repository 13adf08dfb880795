#include "storage/file_io.h"

#include <unistd.h>

#include <cerrno>

namespace tandem::storage {

ssize_t FileIo::Write(int fd, const void* buf, size_t n) {
  if (write_errno_ != 0) {
    errno = write_errno_;
    return -1;
  }
  return ::write(fd, buf, n);
}

int FileIo::Fsync(int fd) {
  if (fsync_errno_ != 0) {
    errno = fsync_errno_;
    return -1;
  }
  return ::fsync(fd);
}

int FileIo::Fdatasync(int fd) {
  if (fsync_errno_ != 0) {
    errno = fsync_errno_;
    return -1;
  }
  return ::fdatasync(fd);
}

void FileIo::InjectFault(IoOp op, int err) {
  (op == IoOp::kWrite ? write_errno_ : fsync_errno_) = err;
}

FileIo& Io() {
  static FileIo io;
  return io;
}

}  // namespace tandem::storage
