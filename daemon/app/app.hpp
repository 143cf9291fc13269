#pragma once

/// The whole process behind `tocsin`: parses the command line and runs the chosen command.
namespace tocsin::app {

/// Returns the process exit status. Never throws.
int main(int argc, char** argv);

}  // namespace tocsin::app
