#include "postgres_rows.hpp"

namespace tocsin::plugins::postgres {

std::optional<double> parse_value(std::string_view text, bool is_bool) {
    if (is_bool) {
        if (text == "t") {
            return 1.0;
        }
        if (text == "f") {
            return 0.0;
        }
        return std::nullopt;
    }
    return values::parse_number(text);
}

}  // namespace tocsin::plugins::postgres
