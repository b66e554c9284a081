#include "adapters/http/http_server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include "adapters/http/http_exchange.hpp"
#include "adapters/http/ws_reactor.hpp"

namespace filament::http {
namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const ExchangeContext& context) : context_(context) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ServeExchange(context_, request, response);
  }

 private:
  const ExchangeContext& context_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const ExchangeContext& context) : context_(context) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(context_);
  }

 private:
  const ExchangeContext& context_;
};

}  // namespace

struct HttpServer::Impl {
  ExchangeContext context;
  std::unique_ptr<WsReactorPool> reactors;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            HttpHandler& handler,
                                                            GatewayUpgrade* upgrade) {
  Poco::Net::SocketAddress address;
  try {
    address = Poco::Net::SocketAddress(options.listen);
  } catch (const Poco::Exception& e) {
    return core::InvalidArgument("bad listen address '" + options.listen + "': " + e.displayText());
  }
  auto impl = std::make_unique<Impl>();
  impl->context.options = options;
  impl->context.handler = &handler;
  impl->context.upgrade = upgrade;
  if (upgrade != nullptr) {
    impl->reactors = std::make_unique<WsReactorPool>(options.ws);
    impl->context.reactors = impl->reactors.get();
  }
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(address, /*reuseAddress=*/true);
    socket.listen(1024);
    impl->port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;  // ref-counted; owned by the server
    params->setMaxThreads(options.pool_threads);
    params->setMaxQueued(options.max_queued);
    params->setTimeout(Poco::Timespan(options.request_timeout_ms * 1000));
    params->setKeepAlive(options.keep_alive);
    params->setKeepAliveTimeout(Poco::Timespan(options.keep_alive_timeout_ms * 1000));
    params->setMaxKeepAliveRequests(0);  // unlimited
    impl->pool = std::make_unique<Poco::ThreadPool>(2, std::max(2, options.pool_threads));
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl->context), *impl->pool,
                                                           socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return core::Unavailable("cannot listen on " + options.listen + ": " + e.displayText());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->stopAll(/*abortCurrent=*/true);
  impl_->pool->joinAll();
  if (impl_->reactors) impl_->reactors->Stop();
}

}  // namespace filament::http
