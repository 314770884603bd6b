// eddy-server's settings (net/epoll/server_options.h): a TOML file, then flags over it.

#include <catch2/catch.hpp>

#include <string>

#include "net/epoll/server_options.h"

using eddy::load_server_config_text;
using eddy::parse_server_options;
using eddy::ServerOptions;

TEST_CASE("a TOML file takes strings, integers and booleans", "[server_options]") {
  ServerOptions options;
  std::string error;
  REQUIRE(
      load_server_config_text("port = 6380\n"
                              "bind = \"0.0.0.0 ::1\"\n"
                              "maxclients = 20\n"
                              "protected-mode = false\n"
                              "pin-threads = \"no\"\n"
                              "requirepass = 'pw'\n",
                              "eddy.toml", &options, &error));
  CHECK(error.empty());
  CHECK(options.port == 6380);
  CHECK(options.bind == "0.0.0.0");
  CHECK(options.maxclients == 20);
  // A TOML boolean used to be read as the integer 0 or 1 and refused ("yes or no").
  CHECK_FALSE(options.protected_mode);
  CHECK_FALSE(options.pin_threads);
  CHECK(options.requirepass == "pw");

  ServerOptions again;
  REQUIRE(load_server_config_text("protected-mode = true\n", "eddy.toml", &again, &error));
  CHECK(again.protected_mode);
}

TEST_CASE("a bad TOML file is refused, naming the file and the setting", "[server_options]") {
  ServerOptions options;
  std::string error;
  CHECK_FALSE(load_server_config_text("port = 70000\n", "eddy.toml", &options, &error));
  CHECK(error == "eddy.toml: invalid value for port: '70000' (1..65535)");
  CHECK_FALSE(load_server_config_text("port = 6380.0\n", "eddy.toml", &options, &error));
  CHECK(error == "eddy.toml: setting 'port' must be a string, an integer or a boolean");
  CHECK_FALSE(load_server_config_text("workers = true\n", "eddy.toml", &options, &error));
  CHECK(error == "eddy.toml: invalid value for workers: 'yes' (1..256)");
  CHECK_FALSE(load_server_config_text("colour = 1\n", "eddy.toml", &options, &error));
  CHECK(error == "eddy.toml: unknown setting 'colour' (see --help)");
  CHECK_FALSE(load_server_config_text("port = \n", "eddy.toml", &options, &error));
  CHECK(error.rfind("eddy.toml: ", 0) == 0);
}

TEST_CASE("flags override nothing they do not name", "[server_options]") {
  ServerOptions options;
  std::string error;
  REQUIRE(parse_server_options({"--port", "7000", "--protected-mode=no"}, &options, &error));
  CHECK(options.port == 7000);
  CHECK_FALSE(options.protected_mode);
  CHECK(options.bind == "127.0.0.1");
  CHECK_FALSE(parse_server_options({"--port"}, &options, &error));
  CHECK(error == "missing value for --port");
}
