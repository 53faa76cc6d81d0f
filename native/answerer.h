// The native ARP/NDP answerer: see answerer.cc.
#pragma once
#include <node_api.h>

namespace sps {

// Adds answererOpen, answererSet, answererStats, answererClose and answerFrame to `exports`.
void RegisterAnswerer(napi_env env, napi_value exports);

}  // namespace sps
