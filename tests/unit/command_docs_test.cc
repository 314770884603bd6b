#include <catch2/catch.hpp>

#include "engine/cmd/command.h"
#include "engine/cmd/command_docs.h"

using namespace eddy;

TEST_CASE("every recorded syntax survives parse and render unchanged", "[cmd][docs]") {
  for (std::string_view name : commands_with_syntax()) {
    INFO(name);
    const std::string_view syntax = command_syntax(name);
    REQUIRE(render_syntax(parse_command_syntax(syntax)) == syntax);
  }
}

TEST_CASE("syntax becomes Redis's argument shapes", "[cmd][docs]") {
  auto del = parse_command_syntax("key [key ...]");
  REQUIRE(del.size() == 1);
  CHECK(del[0].type == "key");
  CHECK(del[0].multiple);
  CHECK_FALSE(del[0].optional);

  auto mset = parse_command_syntax("key value [key value ...]");
  REQUIRE(mset.size() == 1);
  CHECK(mset[0].type == "block");
  CHECK(mset[0].multiple);
  REQUIRE(mset[0].arguments.size() == 2);

  auto set = parse_command_syntax(command_syntax("set"));
  REQUIRE(set.size() == 5);
  CHECK(set[2].type == "oneof");
  CHECK(set[2].optional);
  CHECK(set[3].type == "pure-token");
  CHECK(set[3].token == "GET");
  REQUIRE(set[4].arguments.size() == 5);
  CHECK(set[4].arguments[0].token == "EX");
  CHECK(set[4].arguments[0].type == "integer");
  CHECK(set[4].arguments[4].type == "pure-token");

  // A required choice, in angle brackets.
  auto lmove = parse_command_syntax("source destination <LEFT|RIGHT> <LEFT|RIGHT>");
  REQUIRE(lmove.size() == 4);
  CHECK(lmove[0].type == "key");
  CHECK(lmove[2].type == "oneof");
  CHECK_FALSE(lmove[2].optional);
  REQUIRE(lmove[3].arguments.size() == 2);
  CHECK(lmove[3].arguments[1].token == "RIGHT");
  CHECK(render_syntax(lmove) == "source destination <LEFT|RIGHT> <LEFT|RIGHT>");
}

TEST_CASE("every key command has its syntax recorded", "[cmd][docs]") {
  CommandTable table;
  for (const auto& spec : table.all()) {
    INFO(spec.name);
    if (has_keys(spec)) CHECK_FALSE(syntax_of(spec).empty());
    // What a family records with its spec renders back to itself, like the table's.
    CHECK(render_syntax(parse_command_syntax(syntax_of(spec))) == syntax_of(spec));
  }
}
