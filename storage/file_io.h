// The seam between persistence code and the disk. Every write(2) and fsync of the AOF and of RDB
// snapshots goes through Io(), so tests can make the disk fail (ENOSPC, EIO) on demand and check
// that the server refuses writes, keeps serving reads, and recovers when the disk does.
//
// Faults are process-wide and sticky until cleared; they apply to the calls made after they are
// set (a forked BGSAVE child inherits them).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::storage {

enum class IoOp { kWrite, kFsync };

class FileIo {
 public:
  ssize_t Write(int fd, const void* buf, size_t n);
  int Fsync(int fd);      // fsync(2)
  int Fdatasync(int fd);  // fdatasync(2)

  // 0 clears the fault; otherwise the op fails with this errno.
  void InjectFault(IoOp op, int err);
  int fault(IoOp op) const { return op == IoOp::kWrite ? write_errno_ : fsync_errno_; }

 private:
  std::atomic<int> write_errno_{0};  // read by the AOF fsync thread too
  std::atomic<int> fsync_errno_{0};
};

FileIo& Io();

// Reads a whole file into `out` with one allocation (fstat, then read(2) until done). False with
// errno set when it cannot be opened or read.
bool ReadFile(const std::string& path, std::string& out);

// A whole file mapped read-only for loading (AOF, RDB): no zero-filled buffer, no copy through
// read(2); the kernel reads ahead (MADV_SEQUENTIAL). open() is false with errno set when the
// file cannot be opened or mapped. The view stays valid until the object dies.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  bool open(const std::string& path);
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tandem::storage
