#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::upload {

// How many leading bytes of an upload decide its type (REST_API.md §4.3).
inline constexpr size_t kSniffBytes = 8192;

// The MIME essence of content starting with `head` (only its first kSniffBytes count), by its
// bytes alone (libmagic underneath, hidden), lower case; "" when the content is not recognised
// (empty, or bytes libmagic can only call application/octet-stream). Normalised (ADR 0013):
// libmagic's guesses of a programming language from text (text/x-c, text/x-script.python, …)
// read as text/plain; text/rtf reads as application/rtf; everything else is libmagic's name.
// Thread-safe (one libmagic handle per calling thread, opened on first use).
// Errors: kInternal when the magic database cannot be loaded or libmagic fails.
core::Result<std::string> SniffMime(std::string_view head);

}  // namespace filament::upload
