// swift-tools-version: 6.2
// Release-mode throughput benchmark of the token engine, kept out of the main package
// (STYLE.md: benchmarks live in their own package). The engine's sources are compiled in
// through symbolic links to Sources/TunePrep/{Tokens,JSON}, so the benchmark always measures
// the current code without the main package exporting a library product.
import PackageDescription

let package = Package(
  name: "TokensBench",
  targets: [
    .executableTarget(name: "TokensBench", path: "Sources/TokensBench")
  ],
  swiftLanguageModes: [.v6]
)

for target in package.targets {
  var settings = target.swiftSettings ?? []
  settings.append(contentsOf: [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
  ])
  target.swiftSettings = settings
}
