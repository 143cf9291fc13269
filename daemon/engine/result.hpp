#pragma once

#include <boost/outcome/std_result.hpp>

#include <string>

/// Steady-state errors (evaluate, deliver, store). Start-up and reload use Diagnostics instead.
namespace tocsin {

enum class ErrorCode { Io, Config, Plugin, Store, Source, Notifier, Timeout, Internal };

/// A failure: a stable code, one lower-case sentence with no trailing period, and where it
/// happened ("store 'state.db'", "source 'app_db'").
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::string where;

    [[nodiscard]] std::string text() const {
        return where.empty() ? message : where + ": " + message;
    }
};

/// `.value()` on a failure throws, so a missed check is loud rather than undefined.
template <class T>
using Result = boost::outcome_v2::std_checked<T, Error>;

inline Error make_error(ErrorCode code, std::string message, std::string where = {}) {
    return Error{code, std::move(message), std::move(where)};
}

}  // namespace tocsin
