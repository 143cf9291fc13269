// disk_usage: an example tocsin SOURCE built out of tree against the installed SDK.
//
// Each KPI names a mounted path and what to measure of its file system (statvfs):
//
//   sources:
//     disks: { plugin: disk_usage }
//   kpis:
//     root_used:
//       source: disks
//       path: /                     # per-KPI key
//       measure: used_ratio         # used_ratio (default), free_bytes, used_bytes,
//       every: 1m                   #   total_bytes, free_inodes_ratio
//
// Every sample carries the label `path`. Read this file top to bottom: declared keys, then the
// class (configure = parse only, collect = the I/O), then the one export macro.

#include <tocsin/sdk/plugin.hpp>

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace tocsin::sdk;

// Instance keys: this source needs none of its own; the host adds `timeout` and `every`.
// Per-KPI keys: checked by the host (unknown keys, types, required) before collect() sees them.
const tocsin_config_key kKpiKeys[] = {
    {"path", TOCSIN_TYPE_STRING, 1, nullptr, 0, "a path on the file system to measure"},
    {"measure",
     TOCSIN_TYPE_STRING,
     0,
     "\"used_ratio\"",
     0,
     "used_ratio, free_bytes, used_bytes, total_bytes or free_inodes_ratio"},
};

// One number out of a statvfs result; false for an unknown measure.
bool measure_of(const struct statvfs& fs, const std::string& measure, double& out) {
    const double block = static_cast<double>(fs.f_frsize);
    const double total = static_cast<double>(fs.f_blocks) * block;
    const double free = static_cast<double>(fs.f_bavail) * block;  // what non-root users get
    const double used = total - static_cast<double>(fs.f_bfree) * block;
    if (measure == "used_ratio") {
        // As df computes Use%: used / (used + available), so the reserved blocks count as full.
        out = used + free > 0 ? used / (used + free) : 0;
    } else if (measure == "free_bytes") {
        out = free;
    } else if (measure == "used_bytes") {
        out = used;
    } else if (measure == "total_bytes") {
        out = total;
    } else if (measure == "free_inodes_ratio") {
        out =
            fs.f_files > 0 ? static_cast<double>(fs.f_favail) / static_cast<double>(fs.f_files) : 1;
    } else {
        return false;
    }
    return true;
}

class DiskUsageSource final : public Source {
public:
    // Called once per configured instance, also by `tocsin check`: no I/O here.
    Status configure(const Config& /*config*/, Logger& log) override {
        log_ = &log;
        return Status::ok();
    }

    // Called on a host worker thread once per interval with every KPI due. Emit any number of
    // samples; return failed()/retry() to mark the KPIs stale for this round.
    Status collect(const std::vector<KpiRequest>& kpis,
                   SampleSink& sink,
                   Deadline /*deadline: statvfs does not block for long*/) override {
        std::string errors;
        for (const auto& k : kpis) {
            const std::string path = k.params.get_string("path");
            const std::string measure = k.params.get_string("measure", "used_ratio");
            struct statvfs fs {};
            double value = 0;
            if (::statvfs(path.c_str(), &fs) != 0) {
                errors += (errors.empty() ? "" : "; ") +
                          ("cannot measure '" + path + "': " + std::strerror(errno));
            } else if (!measure_of(fs, measure, value)) {
                errors += (errors.empty() ? "" : "; ") +
                          ("KPI '" + k.kpi + "': measure '" + measure +
                           "' is unknown; use used_ratio, free_bytes, used_bytes, total_bytes "
                           "or free_inodes_ratio");
            } else if (!sink.emit(k.kpi, value, {{"path", path}})) {
                log_->warning("the host refused the sample of KPI '" + k.kpi + "'");
            }
        }
        return errors.empty() ? Status::ok() : Status::failed(errors);
    }

private:
    Logger* log_ = nullptr;
};

}  // namespace

// The one exported symbol: name (what users write after `plugin:`), version, description, keys.
TOCSIN_EXPORT_SOURCE(DiskUsageSource,
                     "disk_usage",
                     "1.0.0",
                     "file system usage of mounted paths (statvfs)",
                     TOCSIN_NO_KEYS,
                     kKpiKeys)
