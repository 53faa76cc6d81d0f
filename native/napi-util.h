// N-API helpers shared by the addon's parts (link.cc, answerer.cc): errors with errno names, and
// argument checks that throw a JS Error instead of failing silently.
#pragma once
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

namespace sps {

inline napi_value MakeError(napi_env env, int err, const char* syscall, const char* detail) {
  const char* name = err > 0 ? uv_err_name(-err) : "EINVAL";
  char message[256];
  snprintf(message, sizeof message, "%s %s: %s%s%s", syscall, name, err > 0 ? strerror(err) : "invalid argument",
           detail ? " — " : "", detail ? detail : "");
  napi_value code, msg, error, sys, errnoValue;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_create_int32(env, err > 0 ? -err : -EINVAL, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  return error;
}

inline napi_value Throw(napi_env env, int err, const char* syscall, const char* detail = nullptr) {
  napi_throw(env, MakeError(env, err, syscall, detail));
  return nullptr;
}

inline napi_value ThrowArg(napi_env env, const char* detail) { return Throw(env, EINVAL, "argument", detail); }

// ---- argument helpers ---------------------------------------------------------------------------

inline bool GetArgs(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    ThrowArg(env, "missing arguments");
    return false;
  }
  return true;
}

inline bool GetBytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  bool isTyped = false;
  napi_typedarray_type type;
  void* raw = nullptr;
  if (napi_is_typedarray(env, value, &isTyped) != napi_ok || !isTyped ||
      napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowArg(env, "expected a Buffer");
    return false;
  }
  *data = static_cast<uint8_t*>(raw);
  return true;
}

inline bool GetString(napi_env env, napi_value value, char* out, size_t size) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) {
    ThrowArg(env, "expected a string");
    return false;
  }
  if (length == 0 || length >= size - 1) {
    Throw(env, ENODEV, "ioctl", "interface name is empty or longer than IFNAMSIZ-1");
    return false;
  }
  return true;
}

inline void SetNumber(napi_env env, napi_value object, const char* name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, object, name, v);
}

}  // namespace sps
