#include "storage/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

namespace {

// open(2) for reading plus fstat; -1 with errno set on failure.
int OpenForRead(const std::string& path, struct stat& st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

}  // namespace

bool ReadFile(const std::string& path, std::string& out) {
  struct stat st {};
  int fd = OpenForRead(path, st);
  if (fd < 0) return false;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the file shrank: keep what was read
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  ::close(fd);
  return true;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

bool MappedFile::open(const std::string& path) {
  struct stat st {};
  int fd = OpenForRead(path, st);
  if (fd < 0) return false;
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      size_ = 0;
      errno = e;
      return false;
    }
    addr_ = p;
    ::madvise(addr_, size_, MADV_SEQUENTIAL);
  }
  ::close(fd);
  return true;
}

FileIo& Io() {
  static FileIo io;
  return io;
}

}  // namespace tandem::storage
