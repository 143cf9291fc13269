#pragma once

/// The SDK's C++ layer in one include: JSON values, Status, Logger, Config, Source, Notifier and
/// the export macros. Header-only and std-only; a plugin links nothing but this.

#include "tocsin/sdk/abi.h"
#include "tocsin/sdk/config.hpp"
#include "tocsin/sdk/export.hpp"
#include "tocsin/sdk/json.hpp"
#include "tocsin/sdk/logger.hpp"
#include "tocsin/sdk/notifier.hpp"
#include "tocsin/sdk/source.hpp"
#include "tocsin/sdk/status.hpp"
