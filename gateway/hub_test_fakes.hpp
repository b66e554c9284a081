#pragma once

// Test doubles shared by the hub's unit tests: a bounded in-memory WsConnection and fake ports.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/http/websocket.hpp"
#include "gateway/ports.hpp"

namespace filament::gateway::hubtest {

using nlohmann::json;

// An in-memory WsConnection: records frames, bounded like the real one.
class FakeConnection : public http::WsConnection {
 public:
  explicit FakeConnection(size_t limit = 256) : limit_(limit) {}
  bool Send(std::string text) override {
    std::lock_guard lock(mu_);
    if (closed_ || queued_ >= limit_) return false;
    ++queued_;
    frames_.push_back(std::move(text));
    cv_.notify_all();
    return true;
  }
  void Close(uint16_t code, std::string reason) override {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    cv_.notify_all();
  }
  void Drop() override {
    std::lock_guard lock(mu_);
    closed_ = true;
    dropped_ = true;
    cv_.notify_all();
  }
  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }
  uint64_t id() const override { return id_; }

  void Drain() {  // the client read everything
    std::lock_guard lock(mu_);
    queued_ = 0;
  }
  std::vector<json> Frames() {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    for (const auto& f : frames_) out.push_back(json::parse(f));
    return out;
  }
  std::vector<std::string> Types() {
    std::vector<std::string> out;
    for (const json& f : Frames()) out.push_back(f["t"]);
    return out;
  }
  bool WaitFrames(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(3), [&] { return frames_.size() >= n; });
  }
  bool WaitClosed() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(3), [&] { return closed_; });
  }
  bool dropped() {
    std::lock_guard lock(mu_);
    return dropped_;
  }
  uint16_t close_code() {
    std::lock_guard lock(mu_);
    return close_code_;
  }
  std::string close_reason() {
    std::lock_guard lock(mu_);
    return close_reason_;
  }

 private:
  static inline std::atomic<uint64_t> next_id_{1};
  const uint64_t id_ = next_id_++;
  size_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  size_t queued_ = 0;
  bool closed_ = false;
  bool dropped_ = false;
  uint16_t close_code_ = 0;
  std::string close_reason_;
};

class FakeAuthorizer : public SubscribeAuthorizer {
 public:
  core::Result<bool> MayView(const std::string& user, const std::string& guild,
                             const std::string& channel) override {
    std::lock_guard lock(mu_);
    return allowed.count(user + guild + channel) > 0;
  }
  void Allow(const std::string& user, const std::string& guild, const std::string& channel) {
    std::lock_guard lock(mu_);
    allowed.insert(user + guild + channel);
  }

 private:
  std::mutex mu_;
  std::set<std::string> allowed;
};

class FakePoster : public IngressMessagePoster {
 public:
  core::Status Post(const std::string& user, const std::string&, const std::string&,
                    const std::string& content, const std::vector<std::string>& attachments,
                    const std::string& ip) override {
    std::lock_guard lock(mu);
    posts.push_back(user + "|" + content + "|" + std::to_string(attachments.size()) + "|" + ip);
    if (fail) return core::PermissionDenied("no");
    return core::OkStatus();
  }
  std::mutex mu;
  std::vector<std::string> posts;
  bool fail = false;
};

}  // namespace filament::gateway::hubtest
