#include "app/app.hpp"

int main(int argc, char** argv) {
    return tocsin::app::main(argc, argv);
}
