#ifndef OBJGATE_COMMON_HTTP_HEADERS_H_
#define OBJGATE_COMMON_HTTP_HEADERS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace objgate {

// Header fields in the order they arrived or are to be sent; the one header type of the
// gateway's HTTP client and of the small HTTP server. Names compare without regard to
// case, as HTTP requires.
class HttpHeaders {
 public:
  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<std::pair<std::string, std::string>> entries)
      : entries_(entries) {}

  void Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
  }
  // The value of the first field called `name`, if any.
  std::optional<absl::string_view> Get(absl::string_view name) const;
  // Every value of the fields called `name`, in order.
  std::vector<absl::string_view> GetAll(absl::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  void Clear() { entries_.clear(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace objgate

#endif  // OBJGATE_COMMON_HTTP_HEADERS_H_
