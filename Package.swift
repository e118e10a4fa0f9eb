// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "tuneprep",
  products: [
    .executable(name: "tuneprep", targets: ["tuneprep"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .target(name: "TunePrep"),
    .executableTarget(
      name: "tuneprep",
      dependencies: [
        "TunePrep",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "TunePrepTests", dependencies: ["TunePrep"], exclude: ["Fixtures"]),
    .testTarget(name: "TunePrepCLITests", dependencies: ["tuneprep"], exclude: ["Fixtures"]),
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
