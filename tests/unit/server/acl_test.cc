// ACL rule parser, descriptions and permission checks, without sockets (acl.cc). Expected texts
// were taken from stock Redis 7.0.15 (ACL SETUSER / LIST / GETUSER / DRYRUN).
#include "server/acl.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/command.h"
#include "server/sha256.h"

namespace tandem::server {
namespace {

struct Fixture {
  Fixture() {
    RegisterConnectionCommands(table);
    RegisterKeyCommands(table);
    RegisterStringCommands(table);
    RegisterBitmapCommands(table);
    RegisterServerCommands(table);
    RegisterListCommands(table);
    RegisterSetCommands(table);
    RegisterZSetCommands(table);
    RegisterPubsubCommands(table);
    RegisterTransactionCommands(table);
    RegisterAclCommands(table);
    acl = std::make_unique<acl::Acl>(table);
  }
  std::string Set(std::string_view user, std::vector<std::string> rules) {
    return acl->SetUser(user, rules);
  }
  std::string List(std::string_view user) {
    auto u = acl->Find(user);
    REQUIRE(u);
    return "user " + u->name + " " + acl->Describe(*u);
  }
  acl::Verdict Check(std::string_view user, std::vector<std::string_view> argv) {
    auto u = acl->Find(user);
    REQUIRE(u);
    const Command* cmd = table.Find(argv[0]);
    REQUIRE(cmd);
    if (!cmd->subcommands.empty() && argv.size() >= 2) cmd = cmd->FindSubcommand(ToLower(argv[1]));
    REQUIRE(cmd);
    return acl->Check(*u, *cmd, argv).verdict;
  }
  CommandTable table;
  std::unique_ptr<acl::Acl> acl;
};

TEST_CASE("sha256: FIPS 180 test vectors") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256Hex(std::string(1000, 'a')) ==
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST_CASE("acl: the default user and a new user are described as Redis 7.0.15 does") {
  Fixture f;
  CHECK(f.List("default") == "user default on nopass ~* &* +@all");
  CHECK(f.Set("bob", {}).empty());
  CHECK(f.List("bob") == "user bob off resetchannels -@all");
  CHECK(f.Set("sel", {"reset", "(+get ~a*)", "(+set ~b*)", "+ping"}).empty());
  CHECK(f.List("sel") ==
        "user sel off sanitize-payload resetchannels -@all +ping (~a* resetchannels -@all +get) "
        "(~b* resetchannels -@all +set)");
  CHECK(f.Set("sel", {"clearselectors"}).empty());
  CHECK(f.List("sel") == "user sel off sanitize-payload resetchannels -@all +ping");
}

TEST_CASE("acl: key patterns keep their order and merge permissions") {
  Fixture f;
  CHECK(f.Set("bob", {"%R~foo", "%W~bar", "%RW~baz", "~qux", "&ch", "+get", "+client|id", "-@all"})
            .empty());
  CHECK(f.List("bob") == "user bob off %R~foo %W~bar ~baz ~qux resetchannels &ch -@all");
  CHECK(f.Set("bob", {"%RW~*"}).empty());  // a pattern "*", not allkeys
  CHECK(f.Set("bob", {"%R"}).empty());     // Redis accepts it: an empty read pattern
  CHECK(f.List("bob") == "user bob off %R~foo %W~bar ~baz ~qux ~* %R~ resetchannels &ch -@all");
  CHECK(f.Set("bob", {"%R~foo2", "%W~foo2"}).empty());
  CHECK(f.List("bob").find(" ~foo2 ") != std::string::npos);
}

TEST_CASE("acl: rule errors carry Redis's texts and change nothing") {
  Fixture f;
  auto err = [&](std::string rule) { return f.Set("carol", {"on", rule}); };
  CHECK(err("%X~a") == "Error in ACL SETUSER modifier '%X~a': Syntax error");
  CHECK(err("bogus") == "Error in ACL SETUSER modifier 'bogus': Syntax error");
  CHECK(err("<nope") ==
        "Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the "
        "user does not exist");
  CHECK(err("#abc") ==
        "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters "
        "and contain only lowercase hexadecimal characters");
  CHECK(err("+nosuch") ==
        "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  CHECK(err("+@nosuch") ==
        "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL");
  CHECK(err("+client|nosuch") ==
        "Error in ACL SETUSER modifier '+client|nosuch': Unknown command or category name in "
        "ACL");
  CHECK(err("+config|") == "Error in ACL SETUSER modifier '+config|': Syntax error");
  CHECK(err("+client|id|x") ==
        "Error in ACL SETUSER modifier '+client|id|x': Allowing first-arg of a subcommand is not "
        "supported");
  CHECK(err("-select|0") ==
        "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL");
  CHECK(f.acl->Find("carol") == nullptr);  // nothing was created
  CHECK(f.Set("carol", {"allkeys", "~x"}) ==
        "Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the "
        "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
        "with an empty list of patterns");
  CHECK(f.Set("carol", {"allchannels", "&x"}) ==
        "Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the "
        "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to "
        "start with an empty list of channels");
  CHECK(f.Set("carol", {"(+get"}) == "Unmatched parenthesis in acl selector starting at '(+get'.");
  // Commands Redis has and tandem lacks are valid in rules (an ACL file for Redis loads).
  CHECK(f.Set("carol", {"+xadd", "+@stream"}).empty());
}

TEST_CASE("acl: passwords are stored as SHA-256 and checked") {
  Fixture f;
  CHECK(f.Set("alice", {"on", ">pw", ">pw", "+get", "~k*"}).empty());
  auto u = f.acl->Find("alice");
  REQUIRE(u->passwords.size() == 1);
  CHECK(u->passwords[0] == Sha256Hex("pw"));
  CHECK(f.acl->CheckCredentials("alice", "pw") != nullptr);
  CHECK(f.acl->CheckCredentials("alice", "bad") == nullptr);
  CHECK(f.acl->CheckCredentials("nobody", "pw") == nullptr);
  CHECK(f.Set("alice", {"off"}).empty());
  CHECK(f.acl->CheckCredentials("alice", "pw") == nullptr);
  CHECK(f.Set("alice", {"on", "!" + Sha256Hex("pw"), "nopass"}).empty());
  CHECK(f.acl->CheckCredentials("alice", "anything") != nullptr);
  f.acl->SetDefaultPassword("foo");
  CHECK(f.List("default") == "user default on #" + Sha256Hex("foo") + " ~* &* +@all");
  f.acl->SetDefaultPassword("");
  CHECK(f.List("default") == "user default on nopass ~* &* +@all");
}

TEST_CASE("acl: command rules are described by categories, then single commands") {
  Fixture f;
  CHECK(f.Set("r2", {"+@read"}).empty());
  CHECK(f.List("r2") == "user r2 off resetchannels -@all +@read");
  CHECK(f.Set("r3", {"+@all", "-@dangerous", "+keys"}).empty());
  // Stock prints the single commands in its dict order; the set is the same.
  std::string r3 = f.List("r3");
  CHECK(r3.starts_with("user r3 off resetchannels +@all -@admin "));
  for (std::string_view c : {"-restore", "-info", "-flushdb", "-flushall", "-migrate", "-sort",
                             "-restore-asking", "-sort_ro", "-swapdb"}) {
    CHECK(r3.find(std::string(" ") + std::string(c)) != std::string::npos);
  }
  CHECK(f.Set("r5", {"+@all", "-client|kill", "-config"}).empty());
  CHECK(f.List("r5") == "user r5 off resetchannels +@all -client|kill -config");
  CHECK(f.Set("r6", {"+select|0", "+config|get"}).empty());
  CHECK(f.List("r6") == "user r6 off resetchannels -@all +config|get +select|0");
}

TEST_CASE("acl: command, key and channel checks") {
  Fixture f;
  REQUIRE(f.Set("alice",
                {"on", ">pw", "~k*", "&ch*", "+get", "+set", "+publish", "+subscribe",
                 "+psubscribe", "+client|id", "+select|0", "%R~r*", "%W~w*", "+lmove", "+bitfield"})
              .empty());
  using V = acl::Verdict;
  CHECK(f.Check("alice", {"get", "k1"}) == V::kOk);
  CHECK(f.Check("alice", {"get", "x1"}) == V::kDeniedKey);
  CHECK(f.Check("alice", {"del", "k1"}) == V::kDeniedCmd);
  CHECK(f.Check("alice", {"client", "id"}) == V::kOk);
  CHECK(f.Check("alice", {"client", "list"}) == V::kDeniedCmd);
  CHECK(f.Check("alice", {"select", "0"}) == V::kOk);
  CHECK(f.Check("alice", {"select", "1"}) == V::kDeniedCmd);
  CHECK(f.Check("alice", {"auth", "x"}) == V::kOk);  // no-auth commands always pass
  // Read-only and write-only patterns follow the key specs' access flags.
  CHECK(f.Check("alice", {"get", "r1"}) == V::kOk);
  CHECK(f.Check("alice", {"set", "r1", "v"}) == V::kDeniedKey);
  CHECK(f.Check("alice", {"set", "w1", "v"}) == V::kOk);
  CHECK(f.Check("alice", {"get", "w1"}) == V::kDeniedKey);
  CHECK(f.Check("alice", {"set", "w1", "v", "GET"}) == V::kDeniedKey);  // GET reads the key
  CHECK(f.Check("alice", {"bitfield", "r1", "GET", "u8", "0"}) == V::kOk);
  CHECK(f.Check("alice", {"bitfield", "r1", "SET", "u8", "0", "1"}) == V::kDeniedKey);
  CHECK(f.Check("alice", {"lmove", "r1", "w1", "left", "right"}) == V::kDeniedKey);  // RW source
  CHECK(f.Check("alice", {"lmove", "k1", "w1", "left", "right"}) == V::kOk);
  // Channels: glob patterns for channels, literal equality for PSUBSCRIBE patterns.
  CHECK(f.Check("alice", {"publish", "ch1", "m"}) == V::kOk);
  CHECK(f.Check("alice", {"publish", "nope", "m"}) == V::kDeniedChannel);
  CHECK(f.Check("alice", {"subscribe", "ch1", "nope"}) == V::kDeniedChannel);
  CHECK(f.Check("alice", {"psubscribe", "ch*"}) == V::kOk);
  CHECK(f.Check("alice", {"psubscribe", "ch1*"}) == V::kDeniedChannel);
}

TEST_CASE("acl: key positions from key specs (movable keys, numkeys)") {
  Fixture f;
  auto keys = [&](std::vector<std::string_view> argv) {
    const Command* cmd = f.table.Find(argv[0]);
    REQUIRE(cmd);
    std::vector<int> out;
    for (auto [pos, flags] : f.acl->KeyPositions(*cmd, argv)) out.push_back(pos);
    return out;
  };
  CHECK(keys({"mset", "a", "1", "b", "2"}) == std::vector<int>{1, 3});
  CHECK(keys({"del", "a", "b", "c"}) == std::vector<int>{1, 2, 3});
  CHECK(keys({"zunionstore", "d", "2", "a", "b", "weights", "1", "2"}) ==
        std::vector<int>{1, 3, 4});
  CHECK(keys({"lmpop", "2", "a", "b", "left"}) == std::vector<int>{2, 3});
  CHECK(keys({"lmpop", "x", "a"}).empty());  // bad numkeys: the command answers the error
  CHECK(keys({"ping"}).empty());
}

TEST_CASE("acl: selectors allow what any selector allows") {
  Fixture f;
  REQUIRE(f.Set("s", {"on", "nopass", "+get", "~a*", "(+set ~b*)"}).empty());
  using V = acl::Verdict;
  CHECK(f.Check("s", {"get", "a1"}) == V::kOk);
  CHECK(f.Check("s", {"set", "b1", "v"}) == V::kOk);
  CHECK(f.Check("s", {"set", "a1", "v"}) == V::kDeniedKey);  // the most relevant denial
  CHECK(f.Check("s", {"del", "a1"}) == V::kDeniedCmd);
}

TEST_CASE("acl: selector arguments are merged across words") {
  std::vector<std::string> in = {"on", "(+get", "~a*)", "(+set)", "off"};
  std::vector<std::string> out;
  size_t bad = 0;
  REQUIRE(acl::MergeSelectorArgs(in, out, bad));
  CHECK(out == std::vector<std::string>{"on", "(+get ~a*)", "(+set)", "off"});
  std::vector<std::string> open = {"on", "(+get", "~a*"};
  CHECK_FALSE(acl::MergeSelectorArgs(open, out, bad));
  CHECK(bad == 1);
}

TEST_CASE("acl: ACL LOG groups similar entries and keeps the newest first") {
  Fixture f;
  f.acl->AddLogEntry(acl::Verdict::kDeniedCmd, false, "del", "alice", "id=1", 1000, 128);
  f.acl->AddLogEntry(acl::Verdict::kDeniedKey, true, "x", "alice", "id=1", 2000, 128);
  f.acl->AddLogEntry(acl::Verdict::kDeniedCmd, false, "del", "alice", "id=2", 3000, 128);
  REQUIRE(f.acl->log().size() == 2);
  CHECK(f.acl->log()[0].object == "del");
  CHECK(f.acl->log()[0].count == 2);
  CHECK(f.acl->log()[0].client_info == "id=2");
  CHECK(f.acl->log()[1].context == "multi");
  CHECK(f.acl->denied_cmd == 2);
  CHECK(f.acl->denied_key == 1);
  f.acl->AddLogEntry(acl::Verdict::kDeniedAuth, false, "AUTH", "bob", "id=3", 4000, 2);
  CHECK(f.acl->log().size() == 2);
  CHECK(f.acl->denied_auth == 1);
}

}  // namespace
}  // namespace tandem::server
