#include "adapters/postgres/pg_codec.hpp"

namespace filament::postgres::internal {
namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is malformed.
size_t SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c >= 0x01 && c < 0x80) return 1;
  size_t len = (c >= 0xC2 && c <= 0xDF)   ? 2
               : (c >= 0xE0 && c <= 0xEF) ? 3
               : (c >= 0xF0 && c <= 0xF4) ? 4
                                          : 0;
  if (len == 0 || i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  unsigned char c1 = byte(i + 1);
  if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
  if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
  if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
  if (c == 0xF4 && c1 >= 0x90) return 0;  // above U+10FFFF
  return len;
}

core::Status CheckField(size_t index, const char* field, std::string_view value, bool required,
                        size_t max_bytes) {
  std::string where = "record " + std::to_string(index) + ": " + field;
  if (required && value.empty()) return core::InvalidArgument(where + " is empty");
  if (value.size() > max_bytes) return core::InvalidArgument(where + " is too long");
  if (!IsStorableText(value)) {
    return core::InvalidArgument(where + " is not UTF-8 text without NUL");
  }
  return core::OkStatus();
}

core::Status ValidateRecord(const events::AppendBatch& batch, size_t i) {
  const events::LogRecord& r = batch.records[i];
  const events::RecordMeta& m = r.meta;
  if (m.stream != batch.stream) {
    return core::InvalidArgument("record " + std::to_string(i) + " belongs to another stream");
  }
  FILAMENT_RETURN_IF_ERROR(CheckField(i, "event_id", m.event_id, true, kMaxMetaFieldBytes));
  FILAMENT_RETURN_IF_ERROR(CheckField(i, "type", m.type, true, kMaxMetaFieldBytes));
  FILAMENT_RETURN_IF_ERROR(
      CheckField(i, "actor_user_id", m.actor_user_id, false, kMaxMetaFieldBytes));
  FILAMENT_RETURN_IF_ERROR(
      CheckField(i, "correlation_id", m.correlation_id, false, kMaxMetaFieldBytes));
  FILAMENT_RETURN_IF_ERROR(
      CheckField(i, "causation_id", m.causation_id, false, kMaxMetaFieldBytes));
  FILAMENT_RETURN_IF_ERROR(CheckField(i, "payload", r.payload, false, kMaxPayloadBytes));
  if (m.schema_version < 1) return core::InvalidArgument("schema_version must be >= 1");
  if (batch.expected_version != events::AppendBatch::kAnyVersion &&
      m.stream_version != batch.expected_version + static_cast<int64_t>(i) + 1) {
    return core::InvalidArgument("record " + std::to_string(i) +
                                 ": stream_version is not expected_version + i + 1");
  }
  return core::OkStatus();
}

void Quote(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

bool IsStorableText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t len = SequenceLength(text, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

core::Status ValidateBatch(const events::AppendBatch& batch) {
  if (batch.records.empty()) return core::InvalidArgument("append needs at least one record");
  if (batch.records.size() > kMaxRecordsPerBatch) {
    return core::InvalidArgument("too many records in one batch");
  }
  if (batch.stream.empty() || batch.stream.size() > kMaxMetaFieldBytes ||
      !IsStorableText(batch.stream)) {
    return core::InvalidArgument("bad stream key");
  }
  if (batch.expected_version < events::AppendBatch::kAnyVersion) {
    return core::InvalidArgument("expected_version below kAnyVersion");
  }
  for (size_t i = 0; i < batch.records.size(); ++i) {
    FILAMENT_RETURN_IF_ERROR(ValidateRecord(batch, i));
  }
  return core::OkStatus();
}

std::string TextArrayLiteral(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out.push_back(',');
    Quote(out, values[i]);
  }
  out.push_back('}');
  return out;
}

std::string IntArrayLiteral(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out.push_back(',');
    out += std::to_string(values[i]);
  }
  out.push_back('}');
  return out;
}

namespace {

// Reads every field it can, recording the first problem.
class RowDecoder {
 public:
  explicit RowDecoder(const pqxx::row& row) : row_(row) {}

  template <typename T>
  void Read(int column, const char* name, T& out) {
    try {
      if (!row_[column].to(out)) Note(std::string(name) + " is NULL");
    } catch (const std::exception& e) {
      Note(std::string(name) + ": " + e.what());
    }
  }
  void Check(bool ok, const std::string& problem) {
    if (!ok) Note(problem);
  }
  const std::string& problem() const { return problem_; }

 private:
  void Note(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }
  const pqxx::row& row_;
  std::string problem_;
};

}  // namespace

core::Result<events::StoredRecord> DecodeRow(const pqxx::row& row, int32_t partitions) {
  events::StoredRecord out;
  if (row.size() != 12) return core::Internal("event_log row has an unexpected shape");
  RowDecoder position(row);
  position.Read(0, "partition_id", out.position.partition);
  position.Read(1, "log_offset", out.position.offset);
  if (!position.problem().empty()) return core::Internal("corrupt log: " + position.problem());
  events::RecordMeta& m = out.record.meta;
  RowDecoder d(row);
  d.Read(2, "event_id", m.event_id);
  d.Read(3, "type", m.type);
  d.Read(4, "schema_version", m.schema_version);
  d.Read(5, "stream", m.stream);
  d.Read(6, "stream_version", m.stream_version);
  d.Read(7, "time_unix_ms", m.time_unix_ms);
  d.Read(8, "actor_user_id", m.actor_user_id);
  d.Read(9, "correlation_id", m.correlation_id);
  d.Read(10, "causation_id", m.causation_id);
  d.Read(11, "payload", out.record.payload);
  d.Check(!m.event_id.empty() && !m.type.empty() && !m.stream.empty(), "empty id, type or stream");
  d.Check(m.schema_version >= 1 && m.stream_version >= 1, "version below 1");
  d.Check(events::PartitionFor(m.stream, partitions) == out.position.partition,
          "stream does not belong to this partition");
  if (!d.problem().empty()) {
    out.decode_error =
        core::Internal("record " + events::FormatPosition(out.position) + ": " + d.problem());
  }
  return out;
}

}  // namespace filament::postgres::internal
