#include "events/backup_file.hpp"

#include <istream>
#include <ostream>
#include <streambuf>

#include <nlohmann/json.hpp>

#include "events/log_archive.hpp"

namespace filament::events {
namespace {

constexpr char kMagic[8] = {'F', 'L', 'M', 'T', 'B', 'A', 'K', '\n'};

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

bool IsSectionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

nlohmann::json SectionJson(const BackupSection& s) {
  return {{"name", s.name}, {"bytes", s.bytes}, {"crc32c", s.crc32c}};
}

// Parses {"name","bytes","crc32c"}; nullopt when any field is missing or mistyped.
std::optional<BackupSection> ParseSection(const nlohmann::json& j) {
  if (!j.is_object() || j.size() != 3 || !j.contains("name") || !j["name"].is_string() ||
      !j.contains("bytes") || !j["bytes"].is_number_unsigned() || !j.contains("crc32c") ||
      !j["crc32c"].is_number_unsigned() || j["crc32c"].get<uint64_t>() > 0xFFFFFFFFu) {
    return std::nullopt;
  }
  return BackupSection{j["name"].get<std::string>(), j["bytes"].get<int64_t>(),
                       static_cast<uint32_t>(j["crc32c"].get<uint64_t>())};
}

}  // namespace

// ---- writer ---------------------------------------------------------------------------------

// Collects a section's bytes into 'D' frames of at most kMaxBackupChunkBytes.
class BackupWriter::ChunkBuf : public std::streambuf {
 public:
  explicit ChunkBuf(BackupWriter& w) : w_(w) { buffer_.reserve(kMaxBackupChunkBytes); }
  core::Status Flush() {
    if (!status_.ok() || buffer_.empty()) return status_;
    section_.bytes += static_cast<int64_t>(buffer_.size());
    section_.crc32c = Crc32c(buffer_, section_.crc32c);
    status_ = w_.WriteFrame('D', buffer_);
    buffer_.clear();
    return status_;
  }
  BackupSection section_;

 protected:
  int_type overflow(int_type ch) override {
    if (ch == traits_type::eof()) return traits_type::not_eof(ch);
    buffer_.push_back(traits_type::to_char_type(ch));
    if (buffer_.size() >= kMaxBackupChunkBytes && !Flush().ok()) return traits_type::eof();
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize done = 0; done < n;) {
      size_t room = kMaxBackupChunkBytes - buffer_.size();
      size_t take = std::min(room, static_cast<size_t>(n - done));
      buffer_.append(s + done, take);
      done += static_cast<std::streamsize>(take);
      if (buffer_.size() >= kMaxBackupChunkBytes && !Flush().ok()) return done;
    }
    return n;
  }

 private:
  BackupWriter& w_;
  std::string buffer_;
  core::Status status_;
};

BackupWriter::BackupWriter(std::ostream& out) : out_(out) {}
BackupWriter::~BackupWriter() = default;

core::Status BackupWriter::WriteFrame(char kind, const std::string& body) {
  std::string head(1, kind);
  PutU32(head, static_cast<uint32_t>(body.size()));
  std::string tail;
  PutU32(tail, Crc32c(body, Crc32c(head)));
  out_ << head << body << tail;
  if (!out_) return core::Unavailable("writing the backup failed");
  return core::OkStatus();
}

core::Status BackupWriter::Begin(const BackupHeader& header) {
  if (header.sections.empty() || header.sections.size() > kMaxBackupSections) {
    return core::InvalidArgument("a backup has 1..64 sections");
  }
  for (const auto& name : header.sections) {
    if (!IsSectionName(name)) return core::InvalidArgument("bad section name " + name);
  }
  header_ = header;
  out_.write(kMagic, sizeof kMagic);
  nlohmann::json j{{"format", kBackupFormat},
                   {"version", kBackupVersion},
                   {"created_unix_ms", header.created_unix_ms},
                   {"sections", header.sections}};
  return WriteFrame('H', j.dump());
}

core::Result<std::ostream*> BackupWriter::BeginSection(const std::string& name) {
  if (section_ || done_.size() >= header_.sections.size() ||
      header_.sections[done_.size()] != name) {
    return core::InvalidArgument("section " + name + " is not the next declared one");
  }
  FILAMENT_RETURN_IF_ERROR(WriteFrame('S', nlohmann::json{{"name", name}}.dump()));
  buf_ = std::make_unique<ChunkBuf>(*this);
  buf_->section_.name = name;
  section_ = std::make_unique<std::ostream>(buf_.get());
  return section_.get();
}

core::Status BackupWriter::EndSection() {
  if (!section_) return core::InvalidArgument("no section is open");
  FILAMENT_RETURN_IF_ERROR(buf_->Flush());
  if (!*section_) return core::Unavailable("writing section " + buf_->section_.name + " failed");
  BackupSection done = buf_->section_;
  section_.reset();
  buf_.reset();
  FILAMENT_RETURN_IF_ERROR(WriteFrame('E', SectionJson(done).dump()));
  done_.push_back(std::move(done));
  return core::OkStatus();
}

core::Result<std::vector<BackupSection>> BackupWriter::Finish() {
  if (section_ || done_.size() != header_.sections.size()) {
    return core::InvalidArgument("not every declared section was written");
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : done_) list.push_back(SectionJson(s));
  FILAMENT_RETURN_IF_ERROR(WriteFrame('T', nlohmann::json{{"sections", list}}.dump()));
  out_.flush();
  if (!out_) return core::Unavailable("writing the backup failed");
  return done_;
}

// ---- reader ---------------------------------------------------------------------------------

// Serves a section's 'D' frames; at its 'E' frame checks size and digest and reports EOF.
class BackupReader::ChunkBuf : public std::streambuf {
 public:
  explicit ChunkBuf(BackupReader& r) : r_(r) {}

 protected:
  int_type underflow() override {
    while (gptr() == egptr()) {
      if (r_.section_ended_ || !r_.error_.ok()) return traits_type::eof();
      auto frame = r_.ReadFrame(kMaxBackupChunkBytes);
      if (!frame.ok()) return Failed(frame.error());
      if (frame->kind == 'E') {
        if (auto s = r_.CheckSectionEnd(frame->body); !s.ok()) return Failed(s.error());
        r_.section_ended_ = true;
        return traits_type::eof();
      }
      if (frame->kind != 'D') return Failed(r_.Corrupt("unexpected frame inside a section"));
      r_.current_.bytes += static_cast<int64_t>(frame->body.size());
      r_.current_.crc32c = Crc32c(frame->body, r_.current_.crc32c);
      chunk_ = std::move(frame->body);
      setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    }
    return traits_type::to_int_type(*gptr());
  }

 private:
  int_type Failed(core::Error error) {
    r_.error_ = std::move(error);
    return traits_type::eof();
  }
  BackupReader& r_;
  std::string chunk_;
};

BackupReader::BackupReader(std::istream& in) : in_(in) {}
BackupReader::~BackupReader() = default;

core::Error BackupReader::Corrupt(const std::string& what) const {
  return core::InvalidArgument("backup corrupt at byte " + std::to_string(bytes_read_) + ": " +
                               what);
}

core::Result<BackupReader::Frame> BackupReader::ReadFrame(uint32_t max_body) {
  char head[5];
  in_.read(head, sizeof head);
  if (in_.gcount() != sizeof head) return Corrupt("file truncated in a frame header");
  auto size = GetU32(head + 1);
  if (size > max_body) return Corrupt("frame length " + std::to_string(size) + " over the limit");
  Frame frame{head[0], std::string(size, '\0')};
  in_.read(frame.body.data(), size);
  if (static_cast<uint32_t>(in_.gcount()) != size) return Corrupt("file truncated in a frame");
  char tail[4];
  in_.read(tail, sizeof tail);
  if (in_.gcount() != sizeof tail) return Corrupt("file truncated in a frame checksum");
  if (GetU32(tail) != Crc32c(frame.body, Crc32c(std::string_view(head, sizeof head)))) {
    return Corrupt("checksum mismatch");
  }
  bytes_read_ += static_cast<int64_t>(sizeof head + size + sizeof tail);
  return frame;
}

core::Result<BackupHeader> BackupReader::ReadHeader() {
  char magic[sizeof kMagic];
  in_.read(magic, sizeof magic);
  if (in_.gcount() != sizeof magic ||
      std::string_view(magic, sizeof magic) != std::string_view(kMagic, sizeof kMagic)) {
    return Corrupt("not a Filament backup");
  }
  bytes_read_ = sizeof magic;
  auto frame = ReadFrame(kMaxBackupJsonBytes);
  if (!frame.ok()) return frame.error();
  auto j = nlohmann::json::parse(frame->body, nullptr, false);
  if (frame->kind != 'H' || !j.is_object() || !j["format"].is_string() ||
      j["format"].get<std::string>() != kBackupFormat) {
    return Corrupt("not a Filament backup header");
  }
  if (!j["version"].is_number_integer() || j["version"].get<int64_t>() != kBackupVersion) {
    return core::InvalidArgument("unsupported backup version " + j["version"].dump() +
                                 " (this build reads " + std::to_string(kBackupVersion) + ")");
  }
  const auto& sections = j["sections"];
  if (!j["created_unix_ms"].is_number_integer() || !sections.is_array() || sections.empty() ||
      sections.size() > kMaxBackupSections) {
    return Corrupt("bad header fields");
  }
  header_.created_unix_ms = j["created_unix_ms"].get<int64_t>();
  for (const auto& name : sections) {
    if (!name.is_string() || !IsSectionName(name.get<std::string>())) {
      return Corrupt("bad section name");
    }
    header_.sections.push_back(name.get<std::string>());
  }
  return header_;
}

core::Status BackupReader::CheckSectionEnd(const std::string& body) {
  auto end = ParseSection(nlohmann::json::parse(body, nullptr, false));
  if (!end || end->name != current_.name) return Corrupt("bad section end");
  if (end->bytes != current_.bytes || end->crc32c != current_.crc32c) {
    return Corrupt("section " + current_.name + " size or digest mismatch");
  }
  return core::OkStatus();
}

core::Status BackupReader::CheckTrailer(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j["sections"].is_array() || j["sections"].size() != done_.size()) {
    return Corrupt("bad manifest");
  }
  for (size_t i = 0; i < done_.size(); ++i) {
    auto s = ParseSection(j["sections"][i]);
    if (!s || s->name != done_[i].name || s->bytes != done_[i].bytes ||
        s->crc32c != done_[i].crc32c) {
      return Corrupt("manifest does not match section " + done_[i].name);
    }
  }
  if (in_.peek() != std::char_traits<char>::eof()) return Corrupt("bytes after the manifest");
  return core::OkStatus();
}

core::Result<std::optional<std::string>> BackupReader::NextSection() {
  if (in_section_) {  // skip what the caller left unread; this also checks the 'E' frame
    char sink[4096];
    while (section_->read(sink, sizeof sink) || section_->gcount() > 0) {
    }
    FILAMENT_RETURN_IF_ERROR(error_);
    if (!section_ended_) return Corrupt("section did not end");
    done_.push_back(current_);
    in_section_ = false;
  }
  if (header_.sections.empty()) return core::InvalidArgument("ReadHeader first");
  bool last = done_.size() == header_.sections.size();
  auto frame = ReadFrame(kMaxBackupJsonBytes);
  if (!frame.ok()) return frame.error();
  if (last) {
    if (frame->kind != 'T') return Corrupt("expected the manifest");
    FILAMENT_RETURN_IF_ERROR(CheckTrailer(frame->body));
    return std::optional<std::string>();
  }
  auto j = nlohmann::json::parse(frame->body, nullptr, false);
  const std::string& want = header_.sections[done_.size()];
  if (frame->kind != 'S' || !j.is_object() || j.size() != 1 || !j["name"].is_string() ||
      j["name"].get<std::string>() != want) {
    return Corrupt("expected section " + want);
  }
  current_ = BackupSection{want, 0, 0};
  in_section_ = true;
  section_ended_ = false;
  buf_ = std::make_unique<ChunkBuf>(*this);
  section_ = std::make_unique<std::istream>(buf_.get());
  return std::optional<std::string>(want);
}

std::istream& BackupReader::section() { return *section_; }

core::Status BackupReader::error() const { return error_; }

}  // namespace filament::events
