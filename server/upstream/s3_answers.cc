#include "server/upstream/s3_answers.h"

#include <algorithm>
#include <cstdint>
#include <pugixml.hpp>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/one_line.h"
#include "common/url_encoding.h"
#include "server/upstream/http_answers.h"

namespace objgate {
namespace {

// Whitespace-only text is kept when it is all an element holds (a key may be " "), and
// dropped between elements. Comments, processing instructions and the DOCTYPE are skipped;
// pugixml never expands entities other than XML's five and character references.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;

// Untrusted text as it goes in a message: quoted, one short line.
std::string Quoted(absl::string_view text) { return absl::StrCat("\"", OneLine(text, 64), "\""); }

absl::Status Malformed(absl::string_view what, absl::string_view problem) {
  return absl::InternalError(absl::StrCat(what, " answer: ", problem));
}

// The name without its namespace prefix, if any.
absl::string_view LocalName(pugi::xml_node node) {
  absl::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == absl::string_view::npos ? name : name.substr(colon + 1);
}

bool IsElement(pugi::xml_node node, absl::string_view local_name) {
  return node.type() == pugi::node_element && LocalName(node) == local_name;
}

// The first child element named `local_name`; a null node (false) when there is none.
pugi::xml_node Child(pugi::xml_node parent, absl::string_view local_name) {
  for (pugi::xml_node child : parent.children()) {
    if (IsElement(child, local_name)) return child;
  }
  return pugi::xml_node();
}

// The element's character data and CDATA sections, joined: a comment splits text in two.
std::string Text(pugi::xml_node element) {
  std::string text;
  for (pugi::xml_node child : element.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    }
  }
  return text;
}

std::string ChildText(pugi::xml_node parent, absl::string_view local_name) {
  return Text(Child(parent, local_name));
}

bool Load(pugi::xml_document& document, absl::string_view body, pugi::xml_parse_result& result) {
  if (body.size() > kMaxS3AnswerBytes) return false;
  // UTF-8 whatever the declaration says: S3 answers in nothing else, and guessing an
  // encoding from untrusted bytes only adds ways to misread them.
  result = document.load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_utf8);
  return static_cast<bool>(result);
}

// Parses `body` into `document`; its root element.
absl::StatusOr<pugi::xml_node> ParseDocument(pugi::xml_document& document, absl::string_view body,
                                             absl::string_view what) {
  if (body.size() > kMaxS3AnswerBytes) {
    return Malformed(what, absl::StrCat("larger than ", kMaxS3AnswerBytes >> 20, " MiB"));
  }
  pugi::xml_parse_result result;
  if (!Load(document, body, result)) {
    return Malformed(
        what, absl::StrCat("not XML (", result.description(), " at byte ", result.offset, ")"));
  }
  return document.document_element();
}

// `root` when it is `root_name`; otherwise an error that says what it is.
absl::StatusOr<pugi::xml_node> ExpectRoot(pugi::xml_node root, absl::string_view what,
                                          absl::string_view root_name) {
  if (LocalName(root) == root_name) return root;
  if (LocalName(root) == "Error") {
    return Malformed(what, absl::StrCat("an S3 error, ", Quoted(ChildText(root, "Code"))));
  }
  return Malformed(what,
                   absl::StrCat("<", OneLine(root.name(), 64), "> instead of <", root_name, ">"));
}

absl::StatusOr<pugi::xml_node> ParseRoot(pugi::xml_document& document, absl::string_view body,
                                         absl::string_view what, absl::string_view root_name) {
  absl::StatusOr<pugi::xml_node> root = ParseDocument(document, body, what);
  if (!root.ok()) return root.status();
  return ExpectRoot(*root, what, root_name);
}

std::optional<S3Error> ErrorFromElement(pugi::xml_node error) {
  S3Error result;
  result.code = std::string(absl::StripAsciiWhitespace(ChildText(error, "Code")));
  if (result.code.empty()) return std::nullopt;
  result.message = ChildText(error, "Message");
  result.request_id = ChildText(error, "RequestId");
  return result;
}

// Whether the answer's keys are url-encoded; an error for an encoding it cannot read.
absl::StatusOr<bool> IsUrlEncoded(pugi::xml_node root, absl::string_view what) {
  const std::string text = ChildText(root, "EncodingType");
  const absl::string_view encoding = absl::StripAsciiWhitespace(text);
  if (encoding.empty()) return false;
  if (absl::EqualsIgnoreCase(encoding, "url")) return true;
  return Malformed(what, absl::StrCat("unknown <EncodingType> ", Quoted(encoding)));
}

// A key, or another value S3 encodes with it, as the caller knows it. Never trimmed:
// whitespace is part of a key.
absl::StatusOr<std::string> Decoded(std::string text, bool url_encoded, absl::string_view what,
                                    absl::string_view element) {
  if (!url_encoded) return text;
  // '+' is a space: see "Keys under encoding-type=url" in the header.
  absl::StatusOr<std::string> decoded = PercentDecode(text, /*plus_is_space=*/true);
  if (!decoded.ok()) {
    return Malformed(what, absl::StrCat("<", element, "> ", Quoted(text), " is not url-encoded"));
  }
  return decoded;
}

// IsTruncated is required: without it a store could cut a listing short unnoticed.
absl::StatusOr<bool> IsTruncated(pugi::xml_node root, absl::string_view what) {
  const pugi::xml_node node = Child(root, "IsTruncated");
  if (!node) return Malformed(what, "no <IsTruncated>");
  const std::string text = Text(node);
  const absl::string_view value = absl::StripAsciiWhitespace(text);
  if (absl::EqualsIgnoreCase(value, "true")) return true;
  if (absl::EqualsIgnoreCase(value, "false")) return false;
  return Malformed(what, absl::StrCat("<IsTruncated> ", Quoted(value), " is not true or false"));
}

// A non-negative decimal that fits in int64.
std::optional<int64_t> ParseSize(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return std::nullopt;
  }
  int64_t size = 0;
  if (!absl::SimpleAtoi(text, &size)) return std::nullopt;
  return size;
}

constexpr absl::string_view kListObjectsV2 = "ListObjectsV2";

absl::StatusOr<ObjectEntry> ParseContents(pugi::xml_node contents, bool url_encoded) {
  ObjectEntry entry;
  absl::StatusOr<std::string> key =
      Decoded(ChildText(contents, "Key"), url_encoded, kListObjectsV2, "Key");
  if (!key.ok()) return key.status();
  if (key->empty()) return Malformed(kListObjectsV2, "an entry has no <Key>");
  entry.key = *std::move(key);

  const pugi::xml_node size_node = Child(contents, "Size");
  if (!size_node) {
    return Malformed(kListObjectsV2, absl::StrCat("key ", Quoted(entry.key), " has no <Size>"));
  }
  const std::optional<int64_t> size = ParseSize(Text(size_node));
  if (!size) {
    return Malformed(kListObjectsV2,
                     absl::StrCat("<Size> of key ", Quoted(entry.key), " is not a number"));
  }
  entry.size = *size;

  const std::string modified = ChildText(contents, "LastModified");
  std::string parse_error;
  // ISO 8601 in UTC with milliseconds ("2009-10-12T17:50:30.000Z"); RFC3339_full also
  // takes it without them, or with an offset.
  if (!modified.empty() &&
      !absl::ParseTime(absl::RFC3339_full, modified, &entry.last_modified, &parse_error)) {
    return Malformed(kListObjectsV2, absl::StrCat("<LastModified> ", Quoted(modified), " of key ",
                                                  Quoted(entry.key), " is not ISO 8601"));
  }
  entry.etag = BareEtag(ChildText(contents, "ETag"));
  return entry;
}

}  // namespace

std::optional<S3Error> ParseS3Error(absl::string_view body) {
  pugi::xml_document document;
  pugi::xml_parse_result result;
  if (!Load(document, body, result)) return std::nullopt;
  const pugi::xml_node root = document.document_element();
  if (!IsElement(root, "Error")) return std::nullopt;
  return ErrorFromElement(root);
}

absl::StatusOr<ListObjectsV2Answer> ParseListObjectsV2(absl::string_view body) {
  pugi::xml_document document;
  absl::StatusOr<pugi::xml_node> root =
      ParseRoot(document, body, kListObjectsV2, "ListBucketResult");
  if (!root.ok()) return root.status();
  absl::StatusOr<bool> url_encoded = IsUrlEncoded(*root, kListObjectsV2);
  if (!url_encoded.ok()) return url_encoded.status();

  ListObjectsV2Answer answer;
  for (pugi::xml_node child : root->children()) {
    if (IsElement(child, "Contents")) {
      absl::StatusOr<ObjectEntry> entry = ParseContents(child, *url_encoded);
      if (!entry.ok()) return entry.status();
      answer.entries.push_back(*std::move(entry));
    } else if (IsElement(child, "CommonPrefixes")) {
      // One <Prefix> each in S3's answers; every one is read, should a store group them.
      bool any = false;
      for (pugi::xml_node prefix : child.children()) {
        if (!IsElement(prefix, "Prefix")) continue;
        absl::StatusOr<std::string> decoded =
            Decoded(Text(prefix), *url_encoded, kListObjectsV2, "Prefix");
        if (!decoded.ok()) return decoded.status();
        if (decoded->empty()) return Malformed(kListObjectsV2, "a common prefix is empty");
        answer.common_prefixes.push_back(*std::move(decoded));
        any = true;
      }
      if (!any) return Malformed(kListObjectsV2, "a <CommonPrefixes> has no <Prefix>");
    }
  }

  absl::StatusOr<bool> truncated = IsTruncated(*root, kListObjectsV2);
  if (!truncated.ok()) return truncated.status();
  answer.is_truncated = *truncated;
  answer.next_continuation_token = ChildText(*root, "NextContinuationToken");
  // Without a token the next page would be the first one again.
  if (answer.is_truncated && answer.next_continuation_token.empty()) {
    return Malformed(kListObjectsV2, "truncated without a <NextContinuationToken>");
  }
  return answer;
}

absl::StatusOr<std::string> ParseInitiateMultipartUpload(absl::string_view body) {
  constexpr absl::string_view kWhat = "CreateMultipartUpload";
  pugi::xml_document document;
  absl::StatusOr<pugi::xml_node> root =
      ParseRoot(document, body, kWhat, "InitiateMultipartUploadResult");
  if (!root.ok()) return root.status();
  // Opaque: sent back exactly as received.
  std::string upload_id = ChildText(*root, "UploadId");
  if (upload_id.empty()) return Malformed(kWhat, "no <UploadId>");
  return upload_id;
}

std::string CompleteMultipartUploadBody(absl::Span<const UploadedPart> parts) {
  pugi::xml_document document;
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node complete = document.append_child("CompleteMultipartUpload");
  complete.append_attribute("xmlns").set_value("http://s3.amazonaws.com/doc/2006-03-01/");
  for (const UploadedPart& part : parts) {
    pugi::xml_node element = complete.append_child("Part");
    element.append_child("PartNumber").text().set(part.number);
    // pugixml escapes what XML needs escaped.
    element.append_child("ETag").text().set(absl::StrCat("\"", BareEtag(part.etag), "\"").c_str());
  }

  class StringWriter : public pugi::xml_writer {
   public:
    explicit StringWriter(std::string& out) : out_(out) {}
    void write(const void* data, size_t size) override {
      out_.append(static_cast<const char*>(data), size);
    }

   private:
    std::string& out_;
  };
  std::string body;
  StringWriter writer(body);
  document.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  return body;
}

namespace {

// A DeferredResult whose success is the element `result`.
absl::StatusOr<DeferredResult> ParseDeferredResult(absl::string_view body, absl::string_view what,
                                                   absl::string_view result) {
  pugi::xml_document document;
  // A body cut short after the 200, or none at all, says nothing: INTERNAL.
  absl::StatusOr<pugi::xml_node> root = ParseDocument(document, body, what);
  if (!root.ok()) return root.status();
  DeferredResult answer;
  if (IsElement(*root, "Error")) {
    answer.error = ErrorFromElement(*root);
    if (!answer.error) return Malformed(what, "an <Error> without a <Code>");
    return answer;
  }
  absl::StatusOr<pugi::xml_node> done = ExpectRoot(*root, what, result);
  if (!done.ok()) return done.status();
  answer.etag = BareEtag(ChildText(*done, "ETag"));
  return answer;
}

}  // namespace

absl::StatusOr<DeferredResult> ParseCompleteMultipartUpload(absl::string_view body) {
  return ParseDeferredResult(body, "CompleteMultipartUpload", "CompleteMultipartUploadResult");
}

absl::StatusOr<DeferredResult> ParseCopyObject(absl::string_view body) {
  return ParseDeferredResult(body, "CopyObject", "CopyObjectResult");
}

absl::StatusOr<ListPartsAnswer> ParseListParts(absl::string_view body) {
  constexpr absl::string_view kWhat = "ListParts";
  pugi::xml_document document;
  absl::StatusOr<pugi::xml_node> root = ParseRoot(document, body, kWhat, "ListPartsResult");
  if (!root.ok()) return root.status();
  absl::StatusOr<bool> truncated = IsTruncated(*root, kWhat);
  if (!truncated.ok()) return truncated.status();
  ListPartsAnswer answer;
  answer.is_truncated = *truncated;
  for (pugi::xml_node child : root->children()) {
    if (!IsElement(child, "Part")) continue;
    const std::optional<int64_t> number = ParseSize(ChildText(child, "PartNumber"));
    const std::optional<int64_t> size = ParseSize(ChildText(child, "Size"));
    if (!number || *number < 1 || *number > 10000 || !size) {
      return Malformed(kWhat, "a <Part> without a valid <PartNumber> and <Size>");
    }
    if (!answer.parts.empty() && *number <= answer.parts.back().number) {
      return Malformed(kWhat, "parts out of order");
    }
    answer.parts.push_back(
        UploadedPart{static_cast<int>(*number), *size, BareEtag(ChildText(child, "ETag"))});
  }
  if (answer.is_truncated) {
    const std::optional<int64_t> marker = ParseSize(ChildText(*root, "NextPartNumberMarker"));
    if (!marker || *marker < 1 || *marker > 10000) {
      return Malformed(kWhat, "truncated without a valid <NextPartNumberMarker>");
    }
    answer.next_part_number_marker = static_cast<int>(*marker);
  }
  return answer;
}

absl::StatusOr<ListMultipartUploadsAnswer> ParseListMultipartUploads(absl::string_view body) {
  constexpr absl::string_view kWhat = "ListMultipartUploads";
  pugi::xml_document document;
  absl::StatusOr<pugi::xml_node> root =
      ParseRoot(document, body, kWhat, "ListMultipartUploadsResult");
  if (!root.ok()) return root.status();
  absl::StatusOr<bool> url_encoded = IsUrlEncoded(*root, kWhat);
  if (!url_encoded.ok()) return url_encoded.status();

  ListMultipartUploadsAnswer answer;
  for (pugi::xml_node child : root->children()) {
    if (!IsElement(child, "Upload")) continue;
    MultipartUploadEntry upload;
    absl::StatusOr<std::string> key = Decoded(ChildText(child, "Key"), *url_encoded, kWhat, "Key");
    if (!key.ok()) return key.status();
    if (key->empty()) return Malformed(kWhat, "an upload has no <Key>");
    upload.key = *std::move(key);
    upload.upload_id = ChildText(child, "UploadId");
    if (upload.upload_id.empty()) {
      return Malformed(
          kWhat, absl::StrCat("the upload of key ", Quoted(upload.key), " has no <UploadId>"));
    }
    answer.uploads.push_back(std::move(upload));
  }

  absl::StatusOr<bool> truncated = IsTruncated(*root, kWhat);
  if (!truncated.ok()) return truncated.status();
  answer.is_truncated = *truncated;
  absl::StatusOr<std::string> next_key =
      Decoded(ChildText(*root, "NextKeyMarker"), *url_encoded, kWhat, "NextKeyMarker");
  if (!next_key.ok()) return next_key.status();
  answer.next_key_marker = *std::move(next_key);
  answer.next_upload_id_marker = ChildText(*root, "NextUploadIdMarker");
  if (answer.is_truncated && answer.next_key_marker.empty()) {
    return Malformed(kWhat, "truncated without a <NextKeyMarker>");
  }
  return answer;
}

}  // namespace objgate
