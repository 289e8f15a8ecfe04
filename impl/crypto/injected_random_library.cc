#include "crypto/injected_random_library.h"

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <map>
#include <mutex>
#include <utility>

#include "crypto/openssl_error.h"

namespace tether::crypto {

struct InjectedRandomLibrary::Source {
  RandomBytesSource random_bytes;
  // The context's DRBGs (primary, and a public and a private one per
  // thread) all draw from the one callback; this keeps its calls in series.
  std::mutex mutex;
};

namespace {

using Source = InjectedRandomLibrary::Source;

constexpr const char* kProviderName = "tether-host-random";
constexpr const char* kRandName = "TETHER-HOST-RANDOM";
constexpr unsigned int kStrength = 256;
constexpr std::size_t kMaxRequest = 1 << 16;

// OpenSSL initialises a provider without a user pointer; the provider finds
// its Source by the library context it is being loaded into, registered
// here just for the duration of OSSL_PROVIDER_load.
std::mutex registry_mutex;
std::map<const void*, Source*>& sources_being_loaded() {
  static std::map<const void*, Source*> registry;
  return registry;
}

struct RandInstance {
  Source* source;
  int state = EVP_RAND_STATE_UNINITIALISED;
};

void* rand_new(void* provctx, void* /*parent*/, const OSSL_DISPATCH* /*parent_dispatch*/) {
  // The parent (the seed source, or the primary DRBG) is not drawn from:
  // every instance calls the callback itself.
  return new RandInstance{static_cast<Source*>(provctx)};
}

void rand_free(void* instance) {
  delete static_cast<RandInstance*>(instance);
}

int rand_instantiate(void* instance, unsigned int strength, int, const unsigned char*, std::size_t,
                     const OSSL_PARAM[]) {
  if (strength > kStrength) return 0;
  static_cast<RandInstance*>(instance)->state = EVP_RAND_STATE_READY;
  return 1;
}

int rand_uninstantiate(void* instance) {
  static_cast<RandInstance*>(instance)->state = EVP_RAND_STATE_UNINITIALISED;
  return 1;
}

// Prediction resistance and additional input are requests to mix in fresh
// entropy; the callback is the only source there is, so they change nothing.
int rand_generate(void* instance, unsigned char* out, std::size_t length, unsigned int strength, int,
                  const unsigned char*, std::size_t) {
  auto* self = static_cast<RandInstance*>(instance);
  if (self->state != EVP_RAND_STATE_READY || strength > kStrength) return 0;
  std::lock_guard<std::mutex> lock(self->source->mutex);
  // An exception must not unwind through OpenSSL's C frames; failing the
  // draw makes the operation that needed it fail with OpenSSL's error.
  try {
    self->source->random_bytes(MutableByteView(out, length));
  } catch (...) {
    return 0;
  }
  return 1;
}

int rand_reseed(void*, int, const unsigned char*, std::size_t, const unsigned char*, std::size_t) {
  return 1;
}

// Locking is done in rand_generate, around the callback, so that the
// locking OpenSSL asks for on the shared primary DRBG can be a no-op.
int rand_enable_locking(void*) {
  return 1;
}
int rand_lock(void*) {
  return 1;
}
void rand_unlock(void*) {}

const OSSL_PARAM* rand_gettable_ctx_params(void*, void*) {
  static const OSSL_PARAM gettable[] = {
      OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, nullptr),
      OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, nullptr),
      OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, nullptr),
      OSSL_PARAM_END,
  };
  return gettable;
}

int rand_get_ctx_params(void* instance, OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
  if (p != nullptr && !OSSL_PARAM_set_int(p, static_cast<RandInstance*>(instance)->state)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
  if (p != nullptr && !OSSL_PARAM_set_uint(p, kStrength)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, kMaxRequest)) return 0;
  return 1;
}

// OSSL_DISPATCH stores every function as void(*)(void); OpenSSL casts it
// back to the type its function id names.
template <typename Function>
void (*dispatch(Function* f))(void) {
  return reinterpret_cast<void (*)(void)>(f);
}

const OSSL_DISPATCH rand_functions[] = {
    {OSSL_FUNC_RAND_NEWCTX, dispatch(rand_new)},
    {OSSL_FUNC_RAND_FREECTX, dispatch(rand_free)},
    {OSSL_FUNC_RAND_INSTANTIATE, dispatch(rand_instantiate)},
    {OSSL_FUNC_RAND_UNINSTANTIATE, dispatch(rand_uninstantiate)},
    {OSSL_FUNC_RAND_GENERATE, dispatch(rand_generate)},
    {OSSL_FUNC_RAND_RESEED, dispatch(rand_reseed)},
    {OSSL_FUNC_RAND_ENABLE_LOCKING, dispatch(rand_enable_locking)},
    {OSSL_FUNC_RAND_LOCK, dispatch(rand_lock)},
    {OSSL_FUNC_RAND_UNLOCK, dispatch(rand_unlock)},
    {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, dispatch(rand_gettable_ctx_params)},
    {OSSL_FUNC_RAND_GET_CTX_PARAMS, dispatch(rand_get_ctx_params)},
    {0, nullptr},
};

const OSSL_ALGORITHM rand_algorithms[] = {
    {kRandName, "provider=tether-host-random", rand_functions, "randomness from a tether Host"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM* provider_query(void*, int operation, int* no_store) {
  *no_store = 0;
  return operation == OSSL_OP_RAND ? rand_algorithms : nullptr;
}

const OSSL_DISPATCH provider_functions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, dispatch(provider_query)},
    {0, nullptr},
};

int provider_init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* core, const OSSL_DISPATCH** out,
                  void** provctx) {
  OSSL_FUNC_core_get_libctx_fn* get_libctx = nullptr;
  for (; core->function_id != 0; ++core)
    if (core->function_id == OSSL_FUNC_CORE_GET_LIBCTX) get_libctx = OSSL_FUNC_core_get_libctx(core);
  if (get_libctx == nullptr) return 0;
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = sources_being_loaded().find(get_libctx(handle));
  if (it == sources_being_loaded().end()) return 0;
  *provctx = it->second;
  *out = provider_functions;
  return 1;
}

// Loads the provider into libctx with source as its Source.
OSSL_PROVIDER* load_random_provider(OSSL_LIB_CTX* libctx, Source* source) {
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    sources_being_loaded()[libctx] = source;
  }
  OSSL_PROVIDER* provider = OSSL_PROVIDER_load(libctx, kProviderName);
  std::lock_guard<std::mutex> lock(registry_mutex);
  sources_being_loaded().erase(libctx);
  return provider;
}

}  // namespace

InjectedRandomLibrary::InjectedRandomLibrary(std::unique_ptr<Source> source) : source_(std::move(source)) {}

InjectedRandomLibrary::~InjectedRandomLibrary() {
  if (random_provider_ != nullptr) OSSL_PROVIDER_unload(random_provider_);
  if (default_provider_ != nullptr) OSSL_PROVIDER_unload(default_provider_);
  OSSL_LIB_CTX_free(libctx_);
}

Result<std::shared_ptr<const InjectedRandomLibrary>> InjectedRandomLibrary::create(RandomBytesSource random_bytes) {
  if (!random_bytes) return Error(ErrorCode::invalid_argument, "no randomness source given");
  auto source = std::make_unique<Source>();
  source->random_bytes = std::move(random_bytes);
  Source* raw_source = source.get();
  std::shared_ptr<InjectedRandomLibrary> library(new InjectedRandomLibrary(std::move(source)));

  ERR_clear_error();
  library->libctx_ = OSSL_LIB_CTX_new();
  if (library->libctx_ == nullptr) return openssl_error("creating an OpenSSL library context");
  OSSL_LIB_CTX* libctx = library->libctx_;
  if (OSSL_PROVIDER_add_builtin(libctx, kProviderName, provider_init) != 1)
    return openssl_error("registering the randomness provider");
  library->random_provider_ = load_random_provider(libctx, raw_source);
  if (library->random_provider_ == nullptr) return openssl_error("loading the randomness provider");
  library->default_provider_ = OSSL_PROVIDER_load(libctx, "default");
  if (library->default_provider_ == nullptr) return openssl_error("loading OpenSSL's default provider");
  // Before anything draws from the context: the DRBGs are made on first use.
  if (RAND_set_seed_source_type(libctx, kRandName, nullptr) != 1 ||
      RAND_set_DRBG_type(libctx, kRandName, nullptr, nullptr, nullptr) != 1)
    return openssl_error("making the randomness provider the context's DRBG");
  return std::shared_ptr<const InjectedRandomLibrary>(std::move(library));
}

}  // namespace tether::crypto
