import Foundation
import Testing

@testable import TunePrep

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A value a small-stack thread hands back.
final class SmallStackResult<T>: @unchecked Sendable {
  var value: T?
}

/// What ``onSmallStack(_:_:)`` hands its thread.
final class SmallStackBody {
  let run: () -> Void
  init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a thread with a `stackSize`-byte stack and waits for its result.
///
/// Worker threads run patterns on their own stacks; a small one here makes a matcher that recurses per
/// scalar or per group crash instead of passing by luck on the main thread's 8 MB.
func onSmallStack<T: Sendable>(
  _ stackSize: Int = 512 << 10, _ body: @escaping @Sendable () -> T
) -> T {
  let result = SmallStackResult<T>()
  let box = SmallStackBody { result.value = body() }
  let attributes = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
  defer { attributes.deallocate() }
  pthread_attr_init(attributes)
  defer { pthread_attr_destroy(attributes) }
  pthread_attr_setstacksize(attributes, stackSize)
  #if canImport(Darwin)
    var handle: pthread_t?
  #else
    var handle = pthread_t()
  #endif
  let status = pthread_create(
    &handle, attributes,
    { argument in
      guard let argument else { return nil }
      Unmanaged<SmallStackBody>.fromOpaque(argument).takeUnretainedValue().run()
      return nil
    }, Unmanaged.passUnretained(box).toOpaque())
  precondition(status == 0, "pthread_create failed: \(status)")
  #if canImport(Darwin)
    if let handle { pthread_join(handle, nil) }
  #else
    pthread_join(handle, nil)
  #endif
  withExtendedLifetime(box) {}
  guard let value = result.value else { preconditionFailure("the thread returned nothing") }
  return value
}

/// The regex engine on long subjects and deep patterns, on a small stack.
@Suite struct RegexEngineTests {
  static func search(_ pattern: String, _ text: String) throws -> RegexResult {
    let regex = try ECMARegex(pattern)
    return onSmallStack { regex.search(text) }
  }

  static let million = 1_000_000

  @Test(arguments: [
    ("^(a)*$", String(repeating: "a", count: million), RegexResult.match),
    ("^(a)*$", String(repeating: "a", count: million) + "b", .noMatch),
    ("^(?:a|b)*$", String(repeating: "ab", count: million / 2), .match),
    ("^(?:a|b)*$", String(repeating: "ab", count: million / 2) + "c", .noMatch),
    ("^(?:ab?)*$", String(repeating: "aab", count: million / 3), .match),
    ("^(?:ab?)+?$", String(repeating: "aab", count: million / 3), .match),
    ("^(?:a{2,3}){2,}$", String(repeating: "a", count: million + 1), .match),
    ("^(?:(a)|b)*\\1$", String(repeating: "ab", count: million / 2) + "a", .noMatch),
    ("^(?:(a)|b)*$", String(repeating: "ba", count: million / 2), .match),
    ("^(?:[^<]|<(?!script))*$", String(repeating: "word <b> ", count: million / 9), .match),
    (
      "^(?:[^<]|<(?!script))*$", String(repeating: "word <b> ", count: million / 9) + "<script>",
      .noMatch
    ),
    ("(?<=a)b$", String(repeating: "a", count: million) + "b", .match),
  ])
  func longSubjectsMatchWithoutDeepRecursion(pattern: String, text: String, expected: RegexResult)
    throws
  {
    #expect(try Self.search(pattern, text) == expected)
  }

  /// ECMA-262 details the loop instructions must keep: captures reset on each iteration, an empty
  /// iteration ends the loop once the minimum is met, counted and lazy loops, lookarounds.
  @Test(arguments: [
    ("^(?:(a)|b)*\\1c$", "abc", true), ("^(?:(a)|b)*\\1c$", "aac", true),
    ("^(?:(a)|b)*\\1c$", "abac", false), ("^(a*)*b$", "aaab", true), ("^(?:a*)*b$", "aaaa", false),
    ("^(?:a?){3}$", "a", true), ("^(?:(?:ab){2}c)+$", "ababcababc", true),
    ("^(?:(?:ab){2}c)+$", "ababcabc", false), ("^(?:a{2,3}){2}$", "aaaaa", true),
    ("^(?:a{2,3}){2}$", "aaa", false), ("^(?:a{2,3}){2}$", "aaaaaaa", false),
    ("^(a+?)(a*)$", "aaa", true), ("^(?:a|ab)+?c$", "ababc", true),
    ("(?=(a+))a*b\\1", "baaabac", true),
    ("(?=(a+))a*b\\1", "aaab", false), ("(?!(a)b)\\1c", "ac", true),
    ("^(?:(?=(a))a)+\\1$", "aaa", true),
    ("(?<!a)b", "ab", false), ("(?<=a+)b", "xaab", true), ("(?<=(a)\\1)b", "aab", true),
    ("^(?:){3}$", "", true), ("^(?:a|()){2,}$", "aa", true),
  ])
  func loopsKeepECMAScriptSemantics(pattern: String, text: String, expected: Bool) throws {
    #expect(try Self.search(pattern, text) == (expected ? .match : .noMatch))
  }

  @Test func budgetStillStopsPathologicalPatterns() throws {
    var regex = try ECMARegex("^(a+)+$")
    regex.stepBudget = 100_000
    let limited = regex
    let text = String(repeating: "a", count: 40) + "!"
    #expect(onSmallStack { limited.search(text) } == .budgetExceeded)
  }

  /// A repeated group saves a backtrack entry per pass, so its state grows with the value: past
  /// ``ECMARegex/backtrackLimit`` the search stops with `budgetExceeded` instead of holding
  /// gigabytes (`^(?:a|b)*c$` on 30 MB took 1.3 GB), while a repeated single atom keeps one
  /// entry per loop and matches any length.
  @Test func backtrackStateIsCapped() throws {
    var group = try ECMARegex("^(?:a|b)*c$")
    let text = String(repeating: "ab", count: 5_000) + "c"
    #expect(group.search(text) == .match)
    group.backtrackLimit = 1_000
    #expect(group.search(text) == .budgetExceeded)
    #expect(group.search("ababc") == .match)

    var atom = try ECMARegex("^[^<]*$")
    atom.backtrackLimit = 1_000
    #expect(atom.search(String(repeating: "x", count: 100_000)) == .match)

    // The default cap, reached well before the step budget on a long value.
    let long = String(repeating: "ab", count: 2_500_000) + "c"
    #expect(try ECMARegex("^(?:a|b)*c$").search(long) == .budgetExceeded)
  }

  /// The stack for patterns nested to the limit: a debug build spends a few KB of stack per level
  /// (parser, compiler, lookarounds); a worker thread has 8 MB.
  static let nestingStack = 2 << 20

  @Test func nestingUpToTheLimitCompilesAndMatches() throws {
    let depth = ECMARegex.maxNesting
    let groups = String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth)
    let looks = String(repeating: "(?=", count: depth) + "a" + String(repeating: ")", count: depth)
    let loops = String(repeating: "(?:", count: depth) + "a" + String(repeating: ")*", count: depth)
    for pattern in [groups, looks, loops] {
      let result = onSmallStack(Self.nestingStack) { () -> RegexResult? in
        guard let regex = try? ECMARegex(pattern) else { return nil }
        return regex.search("aaa")
      }
      #expect(result == .match)
    }
  }

  /// Patterns by depth (sent as numbers: the test's arguments are printed).
  static func nested(_ kind: Int, _ depth: Int) -> String {
    switch kind {
    case 0: String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth)
    case 1: String(repeating: "(", count: depth) + String(repeating: ")", count: depth)
    default: String(repeating: "(?<=", count: depth) + String(repeating: ")", count: depth)
    }
  }

  @Test(arguments: [(0, 20_000), (1, 30_000), (2, 20_000), (0, ECMARegex.maxNesting + 1)])
  func nestingBeyondTheLimitIsASyntaxError(kind: Int, depth: Int) {
    let pattern = Self.nested(kind, depth)
    let message = onSmallStack(Self.nestingStack) { () -> String? in
      do {
        _ = try ECMARegex(pattern)
        return nil
      } catch {
        return "\(error)"
      }
    }
    #expect(
      message?.hasPrefix("groups are nested more than \(ECMARegex.maxNesting) deep (the limit)")
        == true)
  }

  @Test func deeplyNestedSchemaPatternIsACompileError() throws {
    let depth = 20_000
    let pattern = String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth)
    let schema = #"{"properties": {"r": {"pattern": "\#(pattern)"}}}"#
    let message = onSmallStack(Self.nestingStack) { () -> String? in
      do {
        _ = try SchemaEngineTests.compile(schema)
        return nil
      } catch {
        return (error as? SchemaCompileError)?.description
      }
    }
    #expect(message?.contains("nested more than \(ECMARegex.maxNesting) deep") == true)
    #expect(message?.contains("(40001 characters)") == true)
    #expect((message?.count ?? 0) < 400)
  }

  @Test func deeplyNestedRegexStringIsNotAValidRegexFormat() throws {
    let schema = try SchemaEngineTests.compile(#"{"format": "regex"}"#, strictFormats: true)
    let nested = String(repeating: "(", count: 30_000) + String(repeating: ")", count: 30_000)
    let errors = onSmallStack(Self.nestingStack) {
      try? SchemaEngineTests.errors(schema, "\"" + nested + "\"")
    }
    #expect(errors?.count == 1)
    #expect(errors?.first?.message.hasSuffix("is not a valid regex") == true)
    let fine = String(repeating: "(", count: 200) + String(repeating: ")", count: 200)
    #expect(
      onSmallStack(Self.nestingStack) { try? SchemaEngineTests.errors(schema, "\"" + fine + "\"") }?
        .isEmpty == true)
  }
}
