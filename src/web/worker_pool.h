#pragma once
// The HTTP server's queues and per-address counts (internal to src/web/http.cc): a worker
// pool served in turn per client key, and counts of what each address holds. Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace vd::wire {

// A fixed set of threads draining a bounded queue, served in turn per client key: a key
// with many jobs waiting waits behind every other key's next one, so a flood from one
// address (or a few) delays others by one job each, not by the whole flood. Jobs submitted
// "first" are served before the turns, three in every four while both wait, and have a
// queue bound of their own, so a flood of the others never refuses them. TrySubmit never
// blocks: when max_queue jobs of the kind wait, or max_per_key (0 = no limit) for this key,
// it refuses and the caller answers at once. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue, size_t max_per_key)
      : thread_count_(threads), max_queue_(max_queue), max_per_key_(max_per_key) {}
  ~WorkerPool() { Stop(); }

  // Throws std::system_error if a thread cannot be started (caught by HttpServer::Start).
  void Start() {
    for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Run(); });
  }

  // `job` must not throw.
  bool TrySubmit(const std::string& key, bool first, std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || (first ? first_.size() : waiting_ - first_.size()) >= max_queue_) {
        return false;
      }
      size_t& mine = per_key_[key];
      if (!first && max_per_key_ > 0 && mine >= max_per_key_) return false;
      ++mine;
      ++waiting_;
      if (first) {
        first_.push_back({key, std::move(job)});
      } else {
        std::deque<std::function<void()>>& jobs = turns_[key];
        if (jobs.empty()) turn_order_.push_back(key);
        jobs.push_back(std::move(job));
      }
    }
    cv_.notify_one();
    return true;
  }

  // Drops queued jobs, waits for running ones, joins. Idempotent.
  void Stop() {
    std::deque<Keyed> dropped_first;
    std::unordered_map<std::string, std::deque<std::function<void()>>> dropped;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      dropped_first.swap(first_);
      dropped.swap(turns_);
      turn_order_.clear();
      per_key_.clear();
      waiting_ = 0;
    }
    cv_.notify_all();
    // Outside the lock: jobs own sessions whose destructors take locks.
    dropped_first.clear();
    dropped.clear();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  size_t depth() const {
    std::lock_guard lock(mu_);
    return waiting_ + running_;
  }

 private:
  struct Keyed {
    std::string key;
    std::function<void()> job;
  };

  // Caller holds mu_ and waiting_ > 0.
  std::function<void()> Next() {
    std::string key;
    std::function<void()> job;
    if (!first_.empty() && (first_streak_ < 3 || turn_order_.empty())) {
      ++first_streak_;
      key = std::move(first_.front().key);
      job = std::move(first_.front().job);
      first_.pop_front();
    } else {
      first_streak_ = 0;
      key = std::move(turn_order_.front());
      turn_order_.pop_front();
      auto it = turns_.find(key);
      job = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) {
        turns_.erase(it);
      } else {
        turn_order_.push_back(key);  // its next job waits for everyone else's
      }
    }
    --waiting_;
    if (auto it = per_key_.find(key); it != per_key_.end() && --it->second == 0) per_key_.erase(it);
    return job;
  }

  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || waiting_ > 0; });
        if (stopping_) return;
        job = Next();
        ++running_;
      }
      job();
      job = nullptr;
      std::lock_guard lock(mu_);
      --running_;
    }
  }

  const int thread_count_;
  const size_t max_queue_;
  const size_t max_per_key_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Keyed> first_;
  std::unordered_map<std::string, std::deque<std::function<void()>>> turns_;
  std::deque<std::string> turn_order_;  // keys with jobs in turns_, next first
  std::unordered_map<std::string, size_t> per_key_;  // waiting jobs per key (both kinds)
  size_t waiting_ = 0;
  size_t running_ = 0;
  int first_streak_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Counts per address held in memory only, for the per-address caps: open connections per
// TCP peer, requests in flight per client key. An entry goes when its count reaches 0.
class AddressCounts {
 public:
  // Takes one if `count(key) < limit` (limit 0 = none) and `extra(count)` allows it.
  template <class Extra>
  bool TryTake(const std::string& key, size_t limit, const Extra& extra) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = counts_.try_emplace(key, 0);
    if ((limit > 0 && it->second >= limit) || !extra(it->second)) {
      if (it->second == 0) counts_.erase(it);
      return false;
    }
    ++it->second;
    return true;
  }
  void Give(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(key);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, size_t> counts_;
};

}  // namespace vd::wire
