#include "gateway/bridge/log_bridge.hpp"

#include <algorithm>
#include <cstdio>

#include "core/thread_name.hpp"
#include "events/generated/event_types.hpp"
#include "events/log_scan.hpp"
#include "gateway/bridge/bridge_start.hpp"
#include "gateway/bridge/live_access.hpp"
#include "gateway/bridge/observers.hpp"
#include "gateway/bridge/payloads.hpp"
#include "gateway/bridge/voice_roster.hpp"

namespace filament::gateway {

static_assert(static_cast<int>(GatewayMessage::Scope::kChannel) ==
                  static_cast<int>(LogEvent::Scope::kChannel) &&
              static_cast<int>(GatewayMessage::Scope::kGuild) ==
                  static_cast<int>(LogEvent::Scope::kGuild) &&
              static_cast<int>(GatewayMessage::Scope::kUser) ==
                  static_cast<int>(LogEvent::Scope::kUser));

LogBridge::LogBridge(events::EventLog& log, FanoutSink& sink, LiveAccess* access,
                     ReadModelBarrier barrier, std::chrono::milliseconds barrier_timeout,
                     IpObservationResolver* ip_resolver)
    : log_(log),
      sink_(sink),
      observers_(std::make_unique<ObserverIndex>()),
      access_(access),
      barrier_(std::move(barrier)),
      barrier_timeout_(barrier_timeout),
      ip_resolver_(ip_resolver) {}

LogBridge::~LogBridge() { Stop(); }

void LogBridge::SetStart(std::unique_ptr<BridgeStart> start) { start_ = std::move(start); }

// Installs start_ when it fits the log; returns where the fold continues from.
std::vector<int64_t> LogBridge::InstallStart(const std::vector<int64_t>& ends) {
  std::vector<int64_t> from(ends.size(), 0);
  if (!start_) return from;
  bool fits = start_->ends.size() == ends.size();
  for (size_t p = 0; fits && p < ends.size(); ++p) fits = start_->ends[p] <= ends[p];
  if (!fits) {
    std::fprintf(stderr, "gateway: the start fold does not fit the log; folding it from 0\n");
  } else {
    from = start_->ends;
    *observers_ = std::move(start_->observers);
    if (access_ != nullptr) {
      access_->Install(std::move(start_->guilds), start_->recorded_server_owner);
    }
    if (voice_ != nullptr) voice_->Install(start_->voices);
  }
  start_.reset();
  return from;
}

core::Status LogBridge::Start() {
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  const std::vector<int64_t> from = InstallStart(*ends);
  std::vector<int64_t> window_start;
  for (size_t p = 0; p < ends->size(); ++p) {
    window_start.push_back(std::max({int64_t{0}, from[p], (*ends)[p] - replay_records_}));
  }
  sink_.StartReplayWindow(window_start);
  FILAMENT_RETURN_IF_ERROR(events::ReadLogFromUpTo(
      log_, from, *ends, [this, &window_start](const events::StoredRecord& r) {
        observers_->ApplyRecord(r);
        if (access_ != nullptr) access_->Apply(r);
        if (voice_ != nullptr) voice_->ApplyRecord(r);
        if (r.position.offset >= window_start[r.position.partition]) {
          sink_.Record(Entry(r, MapRecord(r, *observers_)));
        }
        return core::OkStatus();
      }));
  std::vector<events::Position> start;
  for (int32_t p = 0; p < static_cast<int32_t>(ends->size()); ++p) start.push_back({p, (*ends)[p]});
  auto reader = log_.OpenReader(start);
  if (!reader.ok()) return reader.error();
  thread_ = core::NamedThread("gw-bridge",
                              [this, r = std::move(*reader)]() mutable { Run(std::move(r)); });
  return core::OkStatus();
}

std::shared_ptr<const ReplayEntry> LogBridge::Entry(
    const events::StoredRecord& record,
    const core::Result<std::vector<GatewayMessage>>& messages) const {
  auto entry = std::make_shared<ReplayEntry>();
  entry->partition = record.position.partition;
  entry->offset = record.position.offset;
  if (!messages.ok()) return entry;
  for (const GatewayMessage& m : *messages) {
    entry->events.push_back({static_cast<LogEvent::Scope>(m.scope), m.guild_id, m.channel_id,
                             m.user_id, m.type, m.payload});
    if (access_ != nullptr && !entry->access && m.scope != GatewayMessage::Scope::kUser) {
      entry->access = access_->Snapshot(m.guild_id);
    }
  }
  return entry;
}

void LogBridge::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void LogBridge::Run(std::unique_ptr<events::LogReader> reader) {
  while (!stop_) {
    auto batch = reader->Poll(512, std::chrono::milliseconds(200));
    if (!batch.ok()) {
      std::fprintf(stderr, "gateway: log read failed: %s\n", batch.error().message.c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const auto& record : *batch) Deliver(record);
  }
}

void LogBridge::AwaitReadModels(const events::StoredRecord& record) {
  if (!barrier_) return;
  const events::Position& position = record.position;
  const bool applied =
      barrier_(record, barrier_degraded_ ? std::chrono::milliseconds(0) : barrier_timeout_);
  if (applied) {
    if (barrier_degraded_) {
      std::fprintf(stderr, "gateway: read models caught up at %s; waiting for them again\n",
                   events::FormatPosition(position).c_str());
    }
    barrier_degraded_ = false;
    return;
  }
  ++barrier_misses_;
  if (!barrier_degraded_) {
    std::fprintf(stderr,
                 "gateway: read models have not applied %s after %lld ms; delivering without "
                 "waiting until they catch up\n",
                 events::FormatPosition(position).c_str(),
                 static_cast<long long>(barrier_timeout_.count()));
  }
  barrier_degraded_ = true;
}

void LogBridge::Deliver(const events::StoredRecord& record) {
  AwaitReadModels(record);
  observers_->ApplyRecord(record);
  std::optional<std::string> changed;
  if (access_ != nullptr) changed = access_->Apply(record);
  if (voice_ != nullptr) voice_->ApplyRecord(record);
  const bool ip_bans =
      ip_resolver_ != nullptr && record.record.meta.type == events::IpBansUpdated::kType;
  std::optional<IpBanCut> cut;
  if (ip_bans) cut = ResolveIpBans(record);
  auto messages = MapRecord(record, *observers_);
  if (!messages.ok()) {
    ++unmappable_;
    std::fprintf(stderr, "gateway: skipping %s: %s\n",
                 events::FormatPosition(record.position).c_str(), messages.error().message.c_str());
  }
  // An IP ban's sync goes out with its cut (CutIpBans), the rest as usual.
  const GatewayMessage* sync = nullptr;
  if (messages.ok()) {
    for (const auto& m : *messages) {
      if (cut && sync == nullptr && m.scope == GatewayMessage::Scope::kGuild &&
          m.guild_id == cut->guild_id) {
        sync = &m;
      } else {
        Fan(m);
      }
    }
  }
  if (cut) {
    CutIpBans(*cut, sync, Entry(record, messages));
  } else {
    sink_.Record(Entry(record, messages));
    if (ip_bans) LiftIpBans(record);
  }
  if (record.record.meta.type == events::UserLocked::kType) DropLockedUser(record);
  // A ban is followed by its MemberRemoved in the same batch: the banned user's connections
  // still get that workspace_member_remove, and lose the guild with it.
  if (changed && record.record.meta.type != events::MemberBanned::kType) {
    sink_.Revalidate(*changed, [this, guild_id = *changed](const std::string& user_id,
                                                           const std::string& channel_id) {
      return access_->Visible(user_id, guild_id, channel_id);
    });
  }
}

void LogBridge::Fan(const GatewayMessage& m) {
  switch (m.scope) {
    case GatewayMessage::Scope::kChannel:
      sink_.ToChannel(
          m.guild_id, m.channel_id, m.type, m.payload, [this, &m](const std::string& user_id) {
            return access_ == nullptr || access_->Visible(user_id, m.guild_id, m.channel_id);
          });
      break;
    case GatewayMessage::Scope::kGuild:
      sink_.ToGuild(m.guild_id, m.type, m.payload, GuildFilter(m));
      break;
    case GatewayMessage::Scope::kUser:
      sink_.ToUser(m.user_id, m.type, m.payload);
      break;
  }
}

void LogBridge::DropLockedUser(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  if (record.decode_error) return;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  const auto* locked = event.ok() ? std::get_if<events::UserLocked>(&*event) : nullptr;
  if (locked != nullptr) sink_.DropUser(locked->user_id, "account_locked");
}

// The ban's own delivery (its sync) and the cut, in one step of the hub (ADR 0032).
void LogBridge::CutIpBans(const IpBanCut& cut, const GatewayMessage* sync,
                          std::shared_ptr<const ReplayEntry> entry) {
  if (sync == nullptr)
    return sink_.ApplyIpBans(cut.guild_id, cut.entries, nullptr, std::move(entry));
  const FanoutSink::UserFilter allow = GuildFilter(*sync);
  const FanoutSink::Announcement announce{sync->type, sync->payload, allow};
  sink_.ApplyIpBans(cut.guild_id, cut.entries, &announce, std::move(entry));
}

FanoutSink::UserFilter LogBridge::GuildFilter(const GatewayMessage& m) const {
  return [this, &m](const std::string& user_id) {
    return access_ == nullptr || user_id == m.user_id || access_->IsMember(user_id, m.guild_id);
  };
}

void LogBridge::LiftIpBans(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  const auto* bans = event.ok() ? std::get_if<events::IpBansUpdated>(&*event) : nullptr;
  if (bans != nullptr && bans->action == "remove") sink_.LiftIpBans(bans->guild_id, bans->ban_ids);
}

std::optional<LogBridge::IpBanCut> LogBridge::ResolveIpBans(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  const auto* bans = event.ok() ? std::get_if<events::IpBansUpdated>(&*event) : nullptr;
  // Not decodable: counted as unmappable by MapRecord. A remove is lifted after the delivery.
  if (bans == nullptr || bans->action == "remove") return std::nullopt;
  auto addresses = ip_resolver_->AddressesOf(bans->observation_ids);
  if (!addresses.ok() || addresses->size() != bans->observation_ids.size() ||
      bans->ban_ids.size() != bans->observation_ids.size()) {
    std::fprintf(
        stderr, "gateway: cannot resolve the IP bans at %s: %s\n",
        events::FormatPosition(record.position).c_str(),
        addresses.ok() ? "ban/observation count mismatch" : addresses.error().message.c_str());
    return std::nullopt;
  }
  IpBanCut cut{bans->guild_id, {}};
  for (size_t i = 0; i < bans->ban_ids.size(); ++i) {
    if (!(*addresses)[i]) continue;  // erased from the side store: matches nothing
    cut.entries.push_back({bans->ban_ids[i], *(*addresses)[i], bans->expires_at_unix});
  }
  return cut;
}

}  // namespace filament::gateway
