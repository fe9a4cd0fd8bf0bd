// Fuzzes the parsers of the upstream's JSON answers (server/upstream/rest_answers.h).
// Input: one letter picking the answer ('I' server info, 'U' upload, 'L' list), then the
// body as the upstream would send it.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/upstream/rest_answers.h"
#include "tests/fuzz/fuzz_check.h"

namespace objgate {
namespace {

void CheckServerInfo(absl::string_view body) {
  absl::StatusOr<UpstreamServerInfo> info = ParseServerInfo(body);
  if (!info.ok()) return;
  FUZZ_CHECK(!info->status.empty());
}

void CheckUploadAnswer(absl::string_view body) {
  constexpr absl::string_view kKey = "dir/object.bin";
  constexpr int64_t kBytesSent = 1234;
  absl::StatusOr<StoredObject> result = ParseUploadAnswer(body, kKey, kBytesSent);
  if (!result.ok()) return;
  // Whatever the upstream says, a success reports what the gateway sent, never less.
  FUZZ_CHECK(result->key == kKey);
  FUZZ_CHECK(result->size == kBytesSent);
}

void CheckListPage(absl::string_view body) {
  absl::StatusOr<ListAnswer> answer = ParseListAnswer(body);
  if (!answer.ok()) return;
  const ListPage* page = &answer->page;
  // Only a store that paginates can say the listing goes on.
  if (page->is_truncated) FUZZ_CHECK(answer->paginates);
  for (const ObjectEntry& entry : page->entries) {
    FUZZ_CHECK(!entry.key.empty());
    FUZZ_CHECK(entry.size >= 0);
  }
  // The gateway asks for the next page with this cursor; an empty one would restart the
  // listing from the beginning and loop forever.
  if (page->is_truncated) FUZZ_CHECK(!page->next_start_after.empty());
}

}  // namespace
}  // namespace objgate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'I':
      objgate::CheckServerInfo(body);
      break;
    case 'U':
      objgate::CheckUploadAnswer(body);
      break;
    case 'L':
      objgate::CheckListPage(body);
      break;
  }
  return 0;
}
