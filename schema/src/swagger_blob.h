// The embedded OpenAPI v2 document (generated swagger_blob.cpp): zlib-compressed JSON.
#pragma once

#include <cstddef>

namespace kubedouble::schema::internal {
extern const size_t kSwaggerSize;            // bytes of JSON once inflated
extern const size_t kSwaggerCompressedSize;  // bytes of kSwaggerCompressed
extern const unsigned char kSwaggerCompressed[];
}  // namespace kubedouble::schema::internal
