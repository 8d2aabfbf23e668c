// Tests of the run-output writers: atomic files, Chrome trace, CSV, statistics.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/output/atomic_file.hpp"
#include "sim/output/chrome_trace.hpp"

namespace fs = std::filesystem;
using namespace pipesim::sim::output;

namespace {

// A fresh, empty folder per test case, removed at the end.
struct TempDir {
  fs::path dir;
  TempDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("pipesim-output-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() { fs::remove_all(dir); }
  std::size_t file_count() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("write_file_atomic writes the content and leaves no temporary") {
  TempDir t;
  const fs::path p = t.dir / "a.txt";
  write_file_atomic(p, "hello\n");
  CHECK(read_all(p) == "hello\n");
  write_file_atomic(p, "replaced", /*fsync=*/true);
  CHECK(read_all(p) == "replaced");
  CHECK(t.file_count() == 1);
  CHECK(atomic_temp_path(p).filename().string() == "a.txt.tmp-" + std::to_string(::getpid()));
}

TEST_CASE("write_file_atomic into a missing folder throws naming the path") {
  TempDir t;
  const fs::path p = t.dir / "missing" / "a.txt";
  try {
    write_file_atomic(p, "x");
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find((t.dir / "missing").string()) != std::string::npos);
    CHECK(msg.find("No such file or directory") != std::string::npos);
  }
}

TEST_CASE("AtomicFileWriter: nothing visible before commit, old file kept without commit") {
  TempDir t;
  const fs::path p = t.dir / "out.csv";
  write_file_atomic(p, "old");
  {
    AtomicFileWriter w(p);
    w << "new " << 42;
    w.write(" content");
    CHECK(fs::exists(w.temp_path()));
    CHECK(read_all(p) == "old");
    CHECK(w.bytes_written() == 14);
  }  // destroyed without commit
  CHECK(read_all(p) == "old");
  CHECK(t.file_count() == 1);

  AtomicFileWriter w(p);
  w << "new " << 42;
  w.write(" content");
  w.commit();
  CHECK(w.committed());
  CHECK(read_all(p) == "new 42 content");
  CHECK(t.file_count() == 1);
  CHECK_THROWS_AS(w.commit(), std::logic_error);
  CHECK_THROWS_AS(w.write("x"), std::logic_error);
}

TEST_CASE("AtomicFileWriter streams more than its buffer, mixing write() and stream()") {
  TempDir t;
  const fs::path p = t.dir / "big.txt";
  std::string expected;
  AtomicFileWriter w(p);
  for (int i = 0; i < 20000; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    if (i % 2 == 0) {
      w.write(line);
    } else {
      w.stream() << "line " << i << '\n';
    }
    expected += line;
  }
  const std::string block(200000, 'x');  // larger than the buffer: written directly
  w.write(block);
  expected += block;
  CHECK(w.bytes_written() == expected.size());
  AtomicFileWriter moved = std::move(w);
  moved.commit();
  CHECK(read_all(p) == expected);
}

TEST_CASE("ChromeTraceWriter output parses as a Chrome trace with metadata and events") {
  TempDir t;
  const fs::path p = t.dir / "trace.json";
  {
    ChromeTraceWriter tr(p);
    tr.process_name(1, "validator 0");
    tr.process_sort_index(1, 0);
    tr.thread_name(1, 1, "consensus");
    tr.thread_sort_index(1, 1, 1);
    tr.thread_name(1, 2, "exec \"worker\"\n1");
    tr.complete(1, 1, "propose", 0.25, 0.0031234567, "consensus",
                {{"height", 5},
                 {"leader", true},
                 {"root", "0xab"},
                 {"gas", 1.5},
                 {"big", std::uint64_t{18446744073709551615ULL}}});
    tr.instant(1, 1, "commit", 1.0, InstantScope::kProcess, "consensus", {{"height", -3}});
    tr.counter(1, "mempool", 0.5, 120.0);
    const std::pair<std::string_view, double> series[] = {{"sent", 10.0}, {"recv", 2.5}};
    tr.counter(1, "bytes", 0.5, series);
    tr.flow_start(1, 1, "msg", 7, 0.25);
    tr.flow_end(2, 1, "msg", 7, 0.30);
    tr.other_data("seed", "42");
    CHECK(tr.event_count() == 11);
    CHECK(!fs::exists(p));
    tr.commit();
  }
  const std::string text = read_all(p);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["displayTimeUnit"] == "ms");
  CHECK(j["otherData"]["seed"] == "42");
  const auto& ev = j["traceEvents"];
  REQUIRE(ev.size() == 11);
  CHECK(ev[0]["ph"] == "M");
  CHECK(ev[0]["name"] == "process_name");
  CHECK(ev[0]["pid"] == 1);
  CHECK(ev[0]["args"]["name"] == "validator 0");
  CHECK(!ev[0].contains("ts"));
  CHECK(ev[1]["args"]["sort_index"] == 0);
  CHECK(ev[2]["name"] == "thread_name");
  CHECK(ev[2]["tid"] == 1);
  CHECK(ev[2]["args"]["name"] == "consensus");
  CHECK(ev[4]["args"]["name"] == "exec \"worker\"\n1");

  const auto& x = ev[5];
  CHECK(x["ph"] == "X");
  CHECK(x["name"] == "propose");
  CHECK(x["cat"] == "consensus");
  CHECK(x["ts"].get<double>() == doctest::Approx(250000.0));
  CHECK(x["dur"].get<double>() == doctest::Approx(3123.457));
  CHECK(x["args"]["height"] == 5);
  CHECK(x["args"]["leader"] == true);
  CHECK(x["args"]["root"] == "0xab");
  CHECK(x["args"]["gas"] == 1.5);
  CHECK(x["args"]["big"].get<std::uint64_t>() == 18446744073709551615ULL);
  // Fixed 3-decimal microseconds, byte for byte.
  CHECK(text.find("\"ts\":250000.000,\"dur\":3123.457") != std::string::npos);

  CHECK(ev[6]["ph"] == "i");
  CHECK(ev[6]["s"] == "p");
  CHECK(ev[6]["args"]["height"] == -3);
  CHECK(ev[7]["ph"] == "C");
  CHECK(ev[7]["args"]["value"] == 120.0);
  CHECK(ev[8]["args"]["sent"] == 10.0);
  CHECK(ev[8]["args"]["recv"] == 2.5);
  CHECK(ev[9]["ph"] == "s");
  CHECK(ev[9]["id"] == 7);
  CHECK(ev[10]["ph"] == "f");
  CHECK(ev[10]["bp"] == "e");
  CHECK(ev[10]["pid"] == 2);
  CHECK(ev[10]["ts"].get<double>() == doctest::Approx(300000.0));
}

TEST_CASE("ChromeTraceWriter: deterministic bytes, empty trace, and argument errors") {
  TempDir t;
  auto make = [&](const fs::path& p) {
    ChromeTraceWriter tr(p);
    tr.process_name(3, "v2");
    tr.complete(3, 1, "exec", 1.0 / 3.0, 1e-7, "execution", {{"txs", 100}, {"x", 0.1}});
    tr.counter(3, "nan", 2.0, std::nan(""));
    tr.commit();
    return read_all(p);
  };
  const std::string a = make(t.dir / "a.json");
  const std::string b = make(t.dir / "b.json");
  CHECK(a == b);
  CHECK(a.find("\"ts\":333333.333,\"dur\":0.100") != std::string::npos);
  CHECK(a.find("\"x\":0.1}") != std::string::npos);
  CHECK(nlohmann::json::parse(a)["traceEvents"][2]["args"]["value"].is_null());

  {
    ChromeTraceWriter empty(t.dir / "empty.json", "ns");
    empty.commit();
  }
  const auto e = nlohmann::json::parse(read_all(t.dir / "empty.json"));
  CHECK(e["traceEvents"].empty());
  CHECK(e["displayTimeUnit"] == "ns");

  ChromeTraceWriter tr(t.dir / "bad.json");
  CHECK_THROWS_AS(tr.process_name(0, "x"), std::invalid_argument);
  CHECK_THROWS_AS(tr.complete(1, 1, "x", -1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(tr.complete(1, 1, "x", 1.0, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(tr.instant(1, 1, "x", INFINITY), std::invalid_argument);
  CHECK(tr.event_count() == 0);
  CHECK_THROWS_AS(ChromeTraceWriter(t.dir / "u.json", "s"), std::invalid_argument);
}

TEST_CASE("ChromeTraceWriter without commit leaves no file") {
  TempDir t;
  {
    ChromeTraceWriter tr(t.dir / "trace.json");
    tr.process_name(1, "v0");
  }
  CHECK(t.file_count() == 0);
}
