// Tests of the run-output writers: atomic files, Chrome trace, CSV, statistics.
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/output/atomic_file.hpp"
#include "sim/output/chrome_trace.hpp"
#include "sim/output/csv.hpp"
#include "sim/output/run_folder.hpp"
#include "sim/output/stats.hpp"

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

TEST_CASE("AtomicFileWriter reports write errors (file size limit) and keeps the old file") {
  TempDir t;
  const fs::path p = t.dir / "limited.txt";
  write_file_atomic(p, "old");
  // A file size limit of 100 kB makes write(2) fail with EFBIG (SIGXFSZ ignored).
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 100000;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  std::string error_via_write, error_via_stream;
  try {
    AtomicFileWriter w(p);
    w.write(std::string(300000, 'x'));
  } catch (const std::runtime_error& e) {
    error_via_write = e.what();
  }
  try {
    AtomicFileWriter w(p);
    for (int i = 0; i < 100000; ++i) w.stream() << "0123456789";  // errors are deferred...
    w.commit();                                                   // ...to commit()
  } catch (const std::runtime_error& e) {
    error_via_stream = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  CHECK(error_via_write.find("File too large") != std::string::npos);
  CHECK(error_via_write.find(atomic_temp_path(p).string()) != std::string::npos);
  CHECK(error_via_stream.find("File too large") != std::string::npos);
  CHECK(read_all(p) == "old");
  CHECK(t.file_count() == 1);
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

TEST_CASE("format_double and format_fixed are deterministic and locale-free") {
  CHECK(format_double(0.1) == "0.1");
  CHECK(format_double(1.0 / 3.0) == "0.333333333");
  CHECK(format_double(1234567.891) == "1234567.89");
  CHECK(format_double(123456789012.0) == "1.23456789e+11");
  CHECK(format_double(1.5e-7) == "1.5e-07");
  CHECK(format_double(42.0) == "42");
  CHECK(format_double(-0.0) == "0");
  CHECK(format_double(2.0 / 3.0, 3) == "0.667");
  CHECK(format_double(std::nan("")) == "nan");
  CHECK(format_double(-INFINITY) == "-inf");
  CHECK_THROWS_AS(format_double(1.0, 0), std::invalid_argument);
  CHECK(format_fixed(1.5) == "1.500000");
  CHECK(format_fixed(1.0 / 3.0, 3) == "0.333");
  CHECK(format_fixed(-1e-9) == "0.000000");
  CHECK(format_fixed(-0.4, 0) == "0");
  CHECK(format_fixed(-1.25, 1) == "-1.2");  // exact binary value, round half to even
}

TEST_CASE("csv_escape quotes only when needed") {
  CHECK(csv_escape("plain") == "plain");
  CHECK(csv_escape("") == "");
  CHECK(csv_escape("a,b") == "\"a,b\"");
  CHECK(csv_escape("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_escape("two\nlines") == "\"two\nlines\"");
  CHECK(csv_escape(" padded") == "\" padded\"");
}

TEST_CASE("CsvWriter writes header and rows, checks field counts") {
  TempDir t;
  const fs::path p = t.dir / "blocks.csv";
  {
    CsvWriter csv(p, {"height", "stage", "time_s", "gas", "ok", "note"});
    csv.add(std::uint64_t{5}).add("committed").add_fixed(1.25).add(2.5e6).add(true).add("a,b");
    csv.end_row();
    csv.add(-1).add(std::string("voted")).add_fixed(0.1234567).add(0.1).add(false).add_empty();
    csv.end_row();
    CHECK(csv.rows() == 2);
    CHECK_THROWS_AS(csv.add(1).end_row(), std::logic_error);  // too few fields
    CHECK_THROWS_AS(csv.commit(), std::logic_error);          // unfinished row
  }
  CHECK(!fs::exists(p));  // never committed

  CsvWriter csv(p, {"a", "b c", "d,e"});
  csv.add(1).add(2).add(3).end_row();
  CHECK_THROWS_AS(csv.add(1).add(2).add(3).add(4), std::logic_error);  // too many
  csv.end_row();                                                       // the row has its 3 fields
  csv.commit();
  CHECK(read_all(p) == "a,b c,\"d,e\"\n1,2,3\n1,2,3\n");

  const fs::path q = t.dir / "q.csv";
  CsvWriter c2(q, {"height", "stage", "time_s", "gas", "ok", "note"});
  c2.add(std::uint64_t{5}).add("committed").add_fixed(1.25).add(2.5e6).add(true).add("a,b");
  c2.end_row();
  c2.add(-1).add("voted").add_fixed(0.1234567).add(0.1).add(false).add_empty();
  c2.end_row();
  c2.commit();
  CHECK(read_all(q) ==
        "height,stage,time_s,gas,ok,note\n"
        "5,committed,1.250000,2500000,1,\"a,b\"\n"
        "-1,voted,0.123457,0.1,0,\n");
  CHECK_THROWS_AS(CsvWriter(t.dir / "e.csv", {}), std::invalid_argument);
}

TEST_CASE("summarize: numpy-compatible mean, population stddev, linear percentiles") {
  // Reference values from numpy 1.24: np.mean, np.std (ddof=0), np.percentile(.., [50, 90, 99]).
  {
    const std::vector<double> v{4, 1, 3, 2};
    const Summary s = summarize(v);
    CHECK(s.count == 4);
    CHECK(s.mean == doctest::Approx(2.5));
    CHECK(s.stddev == doctest::Approx(1.118033988749895));
    CHECK(s.min == 1);
    CHECK(s.max == 4);
    CHECK(s.p50 == doctest::Approx(2.5));
    CHECK(s.p90 == doctest::Approx(3.7));
    CHECK(s.p99 == doctest::Approx(3.97));
  }
  {
    const std::vector<double> v{50, 15, 40, 20, 35};
    const Summary s = summarize(v);
    CHECK(s.mean == doctest::Approx(32.0));
    CHECK(s.stddev == doctest::Approx(12.884098726725126));
    CHECK(s.p50 == doctest::Approx(35.0));
    CHECK(s.p90 == doctest::Approx(46.0));
    CHECK(s.p99 == doctest::Approx(49.6));
  }
  {
    std::vector<double> v;
    for (int i = 100; i >= 1; --i) v.push_back(i);
    const Summary s = summarize_in_place(v);
    CHECK(std::is_sorted(v.begin(), v.end()));
    CHECK(s.mean == doctest::Approx(50.5));
    CHECK(s.stddev == doctest::Approx(28.86607004772212));
    CHECK(s.p50 == doctest::Approx(50.5));
    CHECK(s.p90 == doctest::Approx(90.1));
    CHECK(s.p99 == doctest::Approx(99.01));
  }
  {
    const std::vector<double> one{3.0};
    const Summary s = summarize(one);
    CHECK(s.stddev == 0.0);
    CHECK(s.p99 == 3.0);
  }
  const std::vector<double> sorted{1, 2, 3, 4};
  CHECK(quantile_sorted(sorted, 0.0) == 1.0);
  CHECK(quantile_sorted(sorted, 1.0) == 4.0);
  CHECK(quantile_sorted(sorted, 1.0 / 3.0) == doctest::Approx(2.0));
  CHECK_THROWS_AS(quantile_sorted(sorted, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sorted(std::vector<double>{}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(summarize(std::vector<double>{1.0, std::nan("")}), std::invalid_argument);
}

TEST_CASE("Summary to_json: fields, unit, nulls for an empty sample") {
  const std::vector<double> v{0.1, 0.2, 0.3};
  const auto j = to_json(summarize(v), "s");
  CHECK(j["unit"] == "s");
  CHECK(j["count"] == 3);
  CHECK(j["mean"].get<double>() == doctest::Approx(0.2));
  CHECK(j["p50"].get<double>() == doctest::Approx(0.2));
  for (const char* k : {"stddev", "min", "max", "p90", "p99"}) CHECK(j.contains(k));
  CHECK(j.size() == 9);
  const auto e = to_json(summarize(std::vector<double>{}), "tx/s");
  CHECK(e["count"] == 0);
  CHECK(e["mean"].is_null());
  CHECK(e["p99"].is_null());
  CHECK(e.dump() == to_json(Summary{}, "tx/s").dump());
}

TEST_CASE("TimeSeries buckets sums and counts") {
  TimeSeries ts(0.5);
  ts.add(0.0, 10);
  ts.add(0.49, 5);
  ts.add(1.2);  // bucket 2
  CHECK(ts.size() == 3);
  CHECK(ts.sums() == std::vector<double>{15, 0, 1});
  CHECK(ts.counts() == std::vector<std::uint64_t>{2, 0, 1});
  CHECK(ts.rates() == std::vector<double>{30, 0, 2});
  CHECK(ts.bucket_start_s(2) == 1.0);
  ts.extend_to(2.1);  // [0, 2.1) needs 5 buckets
  CHECK(ts.size() == 5);
  ts.extend_to(1.0);  // never shrinks
  CHECK(ts.size() == 5);
  const auto j = ts.to_json("tx");
  CHECK(j["bucket_s"] == 0.5);
  CHECK(j["sum"].size() == 5);
  CHECK(j["count"][0] == 2);
  CHECK_THROWS_AS(ts.add(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(ts.add(1.0, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(ts.add(1e12), std::length_error);
  CHECK_THROWS_AS(TimeSeries(0.0), std::invalid_argument);
}

// ---- RunFolder ----------------------------------------------------------------------------

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path fresh_dir(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("pipesim-runfolder-") + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

}  // namespace

TEST_CASE("RunFolder: commit replaces a previous run whole, summary.json last") {
  using pipesim::sim::output::RunFolder;
  namespace fs = std::filesystem;
  const fs::path dir = fresh_dir("commit");
  fs::create_directories(dir);
  pipesim::sim::output::write_file_atomic(dir / "summary.json", "old");
  pipesim::sim::output::write_file_atomic(dir / "txs.csv", "old txs");
  pipesim::sim::output::write_file_atomic(dir / "point.json", "kept");  // not an output
  {
    RunFolder f(dir);
    CHECK(f.staging().parent_path() == dir);
    CHECK(slurp(dir / "summary.json") == "old");  // an invalid scenario would leave it
    f.begin();
    CHECK(fs::exists(dir / RunFolder::kMarker));
    CHECK_FALSE(fs::exists(dir / "summary.json"));  // no summary next to a run in progress
    pipesim::sim::output::write_file_atomic(f.staging() / "blocks.csv", "new blocks");
    pipesim::sim::output::write_file_atomic(f.staging() / "summary.json", "new");
    f.commit();
  }
  CHECK(slurp(dir / "summary.json") == "new");
  CHECK(slurp(dir / "blocks.csv") == "new blocks");
  CHECK_FALSE(fs::exists(dir / "txs.csv"));  // the old run's output is gone, not mixed in
  CHECK(slurp(dir / "point.json") == "kept");
  CHECK_FALSE(fs::exists(dir / RunFolder::kMarker));
  for (const auto& e : fs::directory_iterator(dir)) {
    CHECK(e.path().filename().string().rfind(".run-", 0) != 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("RunFolder: a second writer is refused; an abandoned run leaves its reason") {
  using pipesim::sim::output::RunFolder;
  namespace fs = std::filesystem;
  const fs::path dir = fresh_dir("busy");
  {
    RunFolder first(dir);
    CHECK_THROWS_AS(RunFolder second(dir), pipesim::sim::output::RunFolderBusy);
    first.begin();
    first.abandon("interrupted by INT");
  }
  CHECK(slurp(dir / RunFolder::kMarker).find("interrupted by INT") != std::string::npos);
  { RunFolder again(dir); }  // the lock was released with the first
  fs::remove_all(dir);
}

TEST_CASE("RunFolder: a folder it created is removed when the run never began") {
  using pipesim::sim::output::RunFolder;
  const auto dir = fresh_dir("created");
  { RunFolder f(dir); }
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK_THROWS_AS(RunFolder(std::filesystem::path("/proc/version/x")), std::runtime_error);
}
