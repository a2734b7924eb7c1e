// Resource requests (resource_handler.h): GET one, LIST (one namespace or all), WATCH, and the
// writes the store supports, answered as objects, lists, Tables or watch streams; the
// subresources. The request's options and body are read by resource_request.h.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "answer.h"
#include "binding.h"
#include "delete_options.h"
#include "deprecation.h"
#include "duplicate_fields.h"
#include "eviction.h"
#include "kubedouble/base/rfc3339.h"
#include "kubedouble/schema/fields.h"
#include "kubedouble/schema/resources.h"
#include "negotiate.h"
#include "pod_log.h"
#include "pod_streams.h"
#include "protobuf.h"
#include "proxy.h"
#include "request_limits.h"
#include "resource_handler.h"
#include "resource_request.h"
#include "reviews.h"
#include "status.h"
#include "token_review.h"
#include "transform.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
// Sends `body` (an object or list of `r`, or a Status) in the call's negotiated form.
void Reply(Call& call, const ResourceInfo& r, int code, json body) {
  const TransformOptions options = TransformOptionsOf(call.req, call.format, call.clock->Now());
  SendEncoded(call.res, code, TransformAnswer(r, std::move(body), call.format, options),
              call.format);
}

// What a DELETE answers once the object is gone: the object for the resources whose storage
// returns it (kube-apiserver's ReturnDeletedObject: pods, services, service accounts,
// namespaces, storage classes), else a Success Status naming it.
json DeleteAnswer(const ResourceInfo& r, json deleted) {
  static const std::pair<const char*, const char*> kReturnObject[] = {
      {"", "pods"},
      {"", "services"},
      {"", "serviceaccounts"},
      {"", "namespaces"},
      {"storage.k8s.io", "storageclasses"}};
  for (auto [group, plural] : kReturnObject) {
    if (r.group == group && r.plural == plural) return deleted;
  }
  const json& meta =
      deleted.is_object() && deleted.contains("metadata") ? deleted["metadata"] : json::object();
  json details = {{"name", meta.value("name", "")}, {"kind", r.plural}};
  if (!r.group.empty()) details["group"] = r.group;
  if (meta.contains("uid")) details["uid"] = meta["uid"];
  return base::MakeSuccessStatus(details);
}

// The form of a list answer in `format`, for Store::ListAnswer: everything of the format that
// shapes the answer.
std::string FormOf(const OutputFormat& format) {
  return fmt::format("{}/{}/{}/{}", static_cast<int>(format.encoding),
                     static_cast<int>(format.transform), format.meta_version, format.pretty);
}

bool Exists(const Store& store, const ResourceInfo& r, const std::string& ns,
            const std::string& name) {
  return store.Contains(r, ns, name);
}

}  // namespace

void ResourceHandler::Serve(Call& call) const {
  const auto& req = call.req;
  auto& res = call.res;
  const auto& info = call.info;

  if (info.api_group == "authentication.k8s.io" && info.resource == "selfsubjectreviews" &&
      info.name.empty()) {
    if (info.verb != "create") return SendError(res, MethodNotAllowedError());
    return ServeSelfSubjectReview(clock, call);
  }
  if (info.api_group == "authorization.k8s.io" && info.resource == "selfsubjectaccessreviews" &&
      info.name.empty()) {
    if (info.verb != "create") return SendError(res, MethodNotAllowedError());
    return AuthorizationReviews{authz, clock}.SelfSubjectAccessReview(call);
  }
  if (info.api_group == "authorization.k8s.io" &&
      (info.resource == "subjectaccessreviews" ||
       (info.resource == "localsubjectaccessreviews" && !info.ns.empty())) &&
      info.name.empty()) {
    if (info.verb != "create") return SendError(res, MethodNotAllowedError());
    return AuthorizationReviews{authz, clock}.SubjectAccessReview(call);
  }
  if (info.api_group == "authorization.k8s.io" && info.resource == "selfsubjectrulesreviews" &&
      info.name.empty()) {
    if (info.verb != "create") return SendError(res, MethodNotAllowedError());
    return AuthorizationReviews{authz, clock}.SelfSubjectRulesReview(call);
  }

  // The registry's description, shared; copied only for a Table (which adds a CRD's columns).
  std::shared_ptr<const ResourceInfo> found =
      registry.Lookup(info.api_group, info.api_version, info.resource);
  if (!found) return SendError(res, PathNotFoundError());
  bool is_namespace_itself = found->group.empty() && found->plural == "namespaces";
  // A cluster-scoped resource asked for inside a namespace does not exist.
  if (!found->namespaced && !info.ns.empty() && !is_namespace_itself) {
    return SendError(res, PathNotFoundError());
  }
  std::string ns = found->namespaced ? info.ns : "";
  if (found->group.empty() && info.subresource == "proxy" &&
      (found->plural == "pods" || found->plural == "services" || found->plural == "nodes")) {
    // Whatever the container answers.
    return ProxyEndpoint{store, registry, proxy_turn, port_rules}.Serve(call, *found, ns);
  }
  if (found->group.empty() && found->plural == "pods" && info.parts.size() == 3) {
    // The pod subresources that answer text or nothing of the API's own: before negotiation.
    const std::string& sub = info.subresource;
    if (sub == "log" && info.verb == "get") {
      return PodLogEndpoint{store, clock, watches, max_watches, stopping}.Serve(call, *found, ns);
    }
    if ((sub == "exec" || sub == "attach" || sub == "portforward") &&
        (info.verb == "get" || info.verb == "create")) {
      const json pod = store.Get(*found, ns, info.name);
      if (sub == "portforward" && call.exchange && IsStreamUpgrade(req)) {
        // SPDY/3.1, or SPDY tunnelled through a WebSocket (streams/port_forward.h).
        CheckPortForward(pod);
        PortForwardPlan plan = PlanPortForward(pod, UpgradeHeadersOf(req),
                                               QueryValues(req, "ports"), port_rules.Of(pod));
        res.status = plan.answer.status;
        for (const auto& [name, value] : plan.answer.headers) res.set_header(name, value);
        if (plan.answer.status != 101) {
          res.body = plan.answer.body;
          return;
        }
        call.upgrade = plan.tunnel        ? "SPDY/3.1+portforward.k8s.io"
                       : plan.answer.spdy ? "SPDY/3.1"
                                          : plan.answer.protocol->name;
        call.stream_outcome = std::make_shared<StreamOutcome>();
        call.exchange->Upgrade(
            [plan = std::move(plan), outcome = call.stream_outcome](net::UpgradedStream& stream) {
              const PortForwardTally tally = RunPortForward(stream, plan);
              outcome->forwarded_connections = tally.forwarded;
              outcome->refused_connections = tally.refused;
            });
        return;
      }
      if (sub != "portforward" && call.exchange && IsStreamUpgrade(req)) {
        // WebSocket or SPDY/3.1 (pod_streams.h): the checks and the handshake, then the 101 and
        // the simulated container on the taken-over connection.
        PodStreamPlan plan = PlanUpgradePodStream(req, pod, sub, file_trees, clock);
        res.status = plan.answer.status;
        for (const auto& [name, value] : plan.answer.headers) res.set_header(name, value);
        if (plan.answer.status != 101) {
          res.body = plan.answer.body;
          return;
        }
        call.upgrade = plan.answer.spdy ? "SPDY/3.1" : plan.answer.protocol->name;
        call.stream_outcome = std::make_shared<StreamOutcome>();
        call.exchange->Upgrade(
            [plan = std::move(plan), outcome = call.stream_outcome](net::UpgradedStream& stream) {
              outcome->exit_code = RunPodStream(stream, plan);
            });
        return;
      }
      RefuseStreamWithoutUpgrade(pod, sub, Param(req, "container"));
    }
  }
  if (auto warning = DeprecationWarning(store, registry, *found)) {
    res.headers.emplace("Warning", "299 - " + json(*warning).dump());
  }
  // A write of a collection (PUT or PATCH without a name) has no route: 405, as go-restful.
  if ((info.verb == "update" || info.verb == "patch") && info.name.empty() &&
      info.subresource.empty()) {
    return SendError(res, MethodNotAllowedError());
  }
  Endpoint endpoint;
  endpoint.transforms = true;
  endpoint.custom_resource = !schema::FindResource(found->group, found->version, found->plural);
  endpoint.watch = info.verb == "watch";
  call.format = NegotiateOutput(NegotiationInputOf(req), endpoint);
  const OutputFormat& format = call.format;
  const TransformOptions transform = TransformOptionsOf(req, format, clock.Now());
  if (format.transform == Transform::kTable) {
    auto with_columns = std::make_shared<ResourceInfo>(*found);
    with_columns->printer_columns = CrdPrinterColumns(store, registry, *with_columns);
    found = std::move(with_columns);
  }
  const ResourceInfo& r = *found;
  // The plain JSON answer of a read: the store's text as it is.
  const bool plain =
      format.transform == Transform::kNone && format.encoding == Encoding::kJson && !format.pretty;

  if (!info.subresource.empty()) {
    const SubresourceInfo* sub = r.Subresource(info.subresource);
    if (!sub || info.parts.size() > 3) return SendError(res, PathNotFoundError());
    if (std::find(sub->verbs.begin(), sub->verbs.end(), info.verb) == sub->verbs.end()) {
      return SendError(res, MethodNotAllowedError());
    }
    if (r.group.empty() && r.plural == "serviceaccounts" && info.subresource == "token") {
      return ServeTokenRequest(store, issuer, clock, call, r);
    }
    if (r.group.empty() && r.plural == "pods" && info.subresource == "binding") {
      return SendJson(
          res, 201,
          BindPod(store, ns, info.name, ParseBody(req, *registry.Find("", "v1", "bindings")),
                  base::FormatRfc3339(clock.Now())));
    }
    if (r.group.empty() && r.plural == "pods" && info.subresource == "eviction") {
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object()) {
        throw StatusError::BadRequest(
            "the request body is not a JSON object (send a policy/v1 "
            "Eviction as application/json)");
      }
      return SendJson(res, 201,
                      EvictPod(store, ns, info.name, body, clock.Now(),
                               req.has_param("dryRun") && !Param(req, "dryRun").empty()));
    }
    if (info.subresource == "status") return ScopedWrite(call, r, ns, &WriteOptions::status_only);
    if (r.group.empty() && r.plural == "pods" && info.subresource == "ephemeralcontainers") {
      return ScopedWrite(call, r, ns, &WriteOptions::ephemeral_containers_only);  // kubectl debug
    }
    if (info.subresource == "scale") return Scale(call, r, ns);  // spec.replicas
    if (info.subresource == "finalize" && r.group.empty() && r.plural == "namespaces") {
      WriteOptions write = ParseWriteOptions(req);
      write.finalizers_only = true;
      return SendJson(res, 200, store.Update(r, ns, info.name, ParseBody(req, r), write));
    }
    return SendError(res, PathNotFoundError());  // not simulated (yet): exec, log, ...
  }
  if (info.parts.size() > 3) return SendError(res, PathNotFoundError());
  // A verb discovery does not list for the resource (DELETE of all namespaces, GET of
  // tokenreviews) is refused as kube-apiserver refuses it.
  if (!r.Allows(info.verb)) return SendError(res, MethodNotAllowedError());
  if (r.verbs == std::vector<std::string>{"create"}) {
    // A review or binding: answered, never stored (a binding assigns its pod to a node).
    json body = ParseBody(req, r);
    if (r.group.empty() && r.plural == "bindings") {
      const json& meta = body.value("metadata", json::object());
      std::string pod = meta.is_object() ? meta.value("name", "") : "";
      return SendJson(res, 201, BindPod(store, ns, pod, body, base::FormatRfc3339(clock.Now())));
    }
    body["kind"] = r.kind;
    body["apiVersion"] = r.ApiVersion();
    if (!body.contains("metadata") || !body["metadata"].is_object()) {
      body["metadata"] = json::object();
    }
    if (r.namespaced) body["metadata"]["namespace"] = ns.empty() ? "default" : ns;
    if (r.group == "authentication.k8s.io" && r.plural == "tokenreviews") {
      return ServeTokenReview(authn, call, std::move(body));
    }
    return Reply(call, r, 201, std::move(body));
  }

  if (info.verb == "get") {
    // A get reads the newest version; a resourceVersion must still be a number (the cacher
    // parses it).
    if (std::string rv = Param(req, "resourceVersion"); !rv.empty()) ParseResourceVersion(rv);
    if (plain) return SendBody(res, 200, store.GetJson(r, ns, info.name), kMediaJson);
    return Reply(call, r, 200, store.Get(r, ns, info.name));
  }
  if (info.verb == "list") {
    const ListOptions options = ParseListOptions(req);
    if (plain) return SendShared(call, 200, store.SharedListJson(r, ns, options), kMediaJson);
    // A Table's ages run with the clock: made for every request.
    if (format.transform == Transform::kTable)
      return Reply(call, r, 200, store.List(r, ns, options));
    // YAML, protobuf, indented JSON, PartialObjectMetadataList: made once per list, form and
    // store state (Store::ListAnswer), and sent from where it is kept as plain JSON is.
    return SendShared(call, 200, store.ListAnswer(r, ns, options, FormOf(format), [&](json list) {
      httplib::Response made;
      SendEncoded(made, 200, TransformAnswer(r, std::move(list), format, transform), format);
      return EncodedAnswer{made.get_header_value("Content-Type"), std::move(made.body)};
    }));
  }
  if (info.verb == "watch") {
    if (format.transform == Transform::kPartialObjectMetadataList) {
      // Every event carries one object.
      TransformAnswer(r, json::object(), format, transform);
    }
    auto place = TakePlace(watches, max_watches);
    if (!place) {
      return TooManyRequests(res, fmt::format("too many watches: this server serves {} at once "
                                              "(--max-watches); retry later",
                                              max_watches));
    }
    ListOptions opts = ParseListOptions(req);
    if (!info.name.empty()) {
      opts.field_selector = "metadata.name=" + info.name +
                            (opts.field_selector.empty() ? "" : "," + opts.field_selector);
    }
    std::shared_ptr<Watch> watch = store.StartWatch(r, ns, opts);
    // A client that hangs up ends its watch at once (the connection's hang-up signal).
    auto gone = std::make_shared<std::atomic<bool>>(false);
    call.exchange->OnHangUp([watch, gone] {
      *gone = true;
      watch->Stop();
    });
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(opts.timeout_seconds.value_or(1800));
    // Between events the answer waits without a thread (net::StreamWaker): the store's changes
    // wake it, and it asks to be woken for its next bookmark or the end of timeoutSeconds.
    std::shared_ptr<net::StreamWaker> waker = call.exchange->WakeableStream();
    watch->OnChange([weak = std::weak_ptr<net::StreamWaker>(waker)] {
      if (auto w = weak.lock()) w->Wake();
    });
    auto first = std::make_shared<bool>(true);
    res.status = 200;
    // kube-apiserver never compresses a watch; cpp-httplib would gzip an application/json
    // stream for a client that sends Accept-Encoding: gzip (kubectl, client-node), holding every
    // event until the stream ends. The request is the handler's to shape (as ReadBody does).
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    res.set_chunked_content_provider(
        format.ContentType(), [this, watch, waker, deadline, first, resource = found, format,
                               transform, place, gone](size_t, httplib::DataSink& sink) {
          if (!stopping.load() && std::chrono::steady_clock::now() < deadline) {
            const bool transformed = format.transform != Transform::kNone;
            constexpr auto kNow = std::chrono::milliseconds(0);
            auto event = transformed ? watch->Next(kNow) : watch->NextEncoded(kNow);
            if (event) {
              std::string object_json;
              if (event->encoded) {
                object_json = *event->encoded;
              } else {
                json obj = std::move(event->object);
                const bool change =
                    event->type == "ADDED" || event->type == "MODIFIED" || event->type == "DELETED";
                if (format.transform == Transform::kTable ? change : event->type != "ERROR") {
                  TransformOptions o = transform;
                  o.column_definitions = *first;  // the first Table event carries the columns
                  o.now = clock.Now();
                  obj = TransformAnswer(*resource, std::move(obj), format, o);
                  *first = false;
                }
                object_json = obj.dump(-1, ' ', false, json::error_handler_t::replace);
              }
              std::string frame = WatchFrame(format, event->type, object_json);
              return sink.write(frame.data(), frame.size());
            }
            if (*gone) return false;
            if (!watch->finished()) {  // nothing now: called again on a change or when due
              auto until = deadline;
              if (auto due = watch->due()) until = std::min(until, *due);
              waker->Idle(until);
              return true;
            }
          }
          sink.done();
          return true;
        });
    return;
  }
  bool rbac = r.group == "rbac.authorization.k8s.io";
  // After a write of a ClusterRole, the roles aggregating it get its rules (as the aggregation
  // controller would write them), once the store's lock is free again.
  struct AggregateAfter {
    const ResourceHandler* handler;
    bool on;
    ~AggregateAfter() {
      if (on) handler->authz.SyncAggregation(handler->store);
    }
  } aggregate{this, rbac && r.plural == "clusterroles" && info.verb != "get" &&
                        info.verb != "list" && info.verb != "watch"};
  if (info.verb == "create") {
    if (!info.name.empty()) return SendError(res, MethodNotAllowedError());
    Repeats repeats;
    json body = ParseBody(req, r, &repeats);
    ValidateFields(req, res, store, r, body, CannotBeHandled(r), repeats);
    if (rbac) authz.CheckRbacWrite(call.auth.user, r, ns, body);
    json created = store.Create(r, ns, std::move(body), ParseWriteOptions(req, "CreateOptions"));
    return Reply(call, r, 201, std::move(created));
  }
  if (info.verb == "update") {
    Repeats repeats;
    json body = ParseBody(req, r, &repeats);
    ValidateFields(req, res, store, r, body, CannotBeHandled(r), repeats);
    if (rbac) {
      if (body.is_object() && !body.contains("metadata")) body["metadata"] = json::object();
      if (body.is_object() && body["metadata"].is_object() && !body["metadata"].contains("name")) {
        body["metadata"]["name"] = info.name;
      }
      authz.CheckRbacWrite(call.auth.user, r, ns, body);
    }
    return Reply(call, r, 200,
                 store.Update(r, ns, info.name, std::move(body), ParseWriteOptions(req)));
  }
  if (info.verb == "patch") {
    auto type = ParsePatchType(req.get_header_value("Content-Type"));
    if (!type) throw StatusError::UnsupportedMediaType(kPatchTypes);
    std::string body = req.body;
    const WriteOptions write = ParsePatchOptions(req, *type);
    if (*type == PatchType::kApply) body = ValidateAppliedFields(req, res, store, r);
    if (*type == PatchType::kMerge || *type == PatchType::kStrategicMerge) {
      json patch = json::parse(req.body, nullptr, false);
      if (patch.is_object() &&
          ValidateFields(req, res, store, r, patch, "", {DuplicateJsonFields(req.body), false})) {
        body = patch.dump();
      }
    }
    if (rbac) {
      WriteOptions preview = write;
      preview.dry_run = true;
      authz.CheckRbacWrite(call.auth.user, r, ns,
                           store.Patch(r, ns, info.name, *type, body, preview));
    }
    // A server-side apply that creates the object answers 201, as a create does.
    const bool creates = *type == PatchType::kApply && !Exists(store, r, ns, info.name);
    return Reply(call, r, creates && !write.dry_run ? 201 : 200,
                 store.Patch(r, ns, info.name, *type, body, write));
  }
  if (info.verb == "delete" || info.verb == "deletecollection") {
    DeleteOptions d;
    d.dry_run = req.has_param("dryRun") && !Param(req, "dryRun").empty();
    d.propagation_policy = Param(req, "propagationPolicy");
    if (req.has_param("gracePeriodSeconds")) {
      d.grace_period_seconds = IntParam(req, "gracePeriodSeconds");
    }
    if (req.has_param("orphanDependents")) {
      d.orphan_dependents = QueryBool(Param(req, "orphanDependents"));
    }
    if (!req.body.empty()) {
      json body = IsProtobufContentType(req.get_header_value("Content-Type"))
                      ? DecodeProtobufBody(req.body)
                      : json::parse(req.body, nullptr, false);
      ReadDeleteOptions(body, d);
    }
    if (info.verb == "delete") {
      bool removed = false;
      json out = store.Delete(r, ns, info.name, d, &removed);
      // An object that stays (finalizers, a grace period, a terminating namespace) is sent as
      // marked; 202 when the client asked for a cascade with the older orphanDependents=false.
      if (!removed) return Reply(call, r, d.orphan_dependents == false ? 202 : 200, out);
      return Reply(call, r, 200, DeleteAnswer(r, std::move(out)));
    }
    return Reply(call, r, 200, store.DeleteCollection(r, ns, ParseListOptions(req), d));
  }
  SendError(res, MethodNotAllowedError());
}

// …/status (and a pod's …/ephemeralcontainers): GET reads the object; PUT and PATCH change its
// status (its ephemeral containers) and nothing else.
void ResourceHandler::ScopedWrite(Call& call, const ResourceInfo& r, const std::string& ns,
                                  bool WriteOptions::*only) const {
  const auto& req = call.req;
  const auto& name = call.info.name;
  if (call.info.verb == "get") return Reply(call, r, 200, store.Get(r, ns, name));
  if (call.info.verb == "update") {
    WriteOptions write = ParseWriteOptions(req);
    write.*only = true;
    return Reply(call, r, 200, store.Update(r, ns, name, ParseBody(req, r), write));
  }
  auto type = ParsePatchType(req.get_header_value("Content-Type"));
  if (!type) throw StatusError::UnsupportedMediaType(kPatchTypes);
  WriteOptions write = ParsePatchOptions(req, *type);
  write.*only = true;
  Reply(call, r, 200, store.Patch(r, ns, name, *type, req.body, write));
}

namespace {
// The autoscaling/v1 Scale of a deployment, replica set, stateful set or replication controller.
json ScaleOf(const json& object) {
  const json& m = object["metadata"];
  json meta = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (m.contains(k)) meta[k] = m[k];
  }
  const json spec = object.value("spec", json::object());
  const json status = object.value("status", json::object());
  // The label selector as a string: spec.selector.matchLabels (apps), spec.selector (core).
  std::string selector;
  const json sel = spec.value("selector", json::object());
  const json labels = sel.contains("matchLabels") ? sel["matchLabels"] : sel;
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      if (v.is_string()) selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    }
  }
  json out = {{"kind", "Scale"},
              {"apiVersion", "autoscaling/v1"},
              {"metadata", meta},
              {"spec", json::object()},
              {"status", {{"replicas", status.value("replicas", 0)}}}};
  if (spec.contains("replicas")) out["spec"]["replicas"] = spec["replicas"];
  if (!selector.empty()) out["status"]["selector"] = selector;
  return out;
}
}  // namespace

// …/scale: reads and writes spec.replicas through an autoscaling/v1 Scale.
void ResourceHandler::Scale(Call& call, const ResourceInfo& r, const std::string& ns) const {
  const auto& req = call.req;
  const auto& name = call.info.name;
  if (call.info.verb == "get") {
    return SendEncoded(call.res, 200, ScaleOf(store.Get(r, ns, name)), call.format);
  }
  json object = store.Get(r, ns, name);
  json replicas;
  if (call.info.verb == "update") {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) throw StatusError::BadRequest("the request body is not a JSON object");
    if (body.contains("spec") && body["spec"].is_object())
      replicas = body["spec"].value("replicas", json());
    if (body.contains("metadata") && body["metadata"].is_object() &&
        body["metadata"].contains("resourceVersion")) {
      object["metadata"]["resourceVersion"] = body["metadata"]["resourceVersion"];
    }
  } else {
    // A patch of a Scale touches spec.replicas, which is at the same place in the object.
    auto type = ParsePatchType(req.get_header_value("Content-Type"));
    if (!type) throw StatusError::UnsupportedMediaType(kPatchTypes);
    WriteOptions preview;
    preview.dry_run = true;
    json patched = store.Patch(r, ns, name, *type, req.body, preview);
    replicas = patched.value("spec", json::object()).value("replicas", json());
  }
  if (!replicas.is_number_integer() || replicas.get<int64_t>() < 0) {
    throw StatusError::Invalid(
        "Scale.autoscaling", name,
        json::array({{{"reason", "FieldValueInvalid"},
                      {"message", "Invalid value: " + replicas.dump() +
                                      ": must be greater than or equal to 0"},
                      {"field", "spec.replicas"}}}));
  }
  object["spec"]["replicas"] = replicas;
  SendEncoded(call.res, 200,
              ScaleOf(store.Update(r, ns, name, std::move(object), ParseWriteOptions(req))),
              call.format);
}

}  // namespace kubedouble::fake
