import XCTest
import Foundation
import ReproKit

/// A task of a plugin library that `scripts/build` left in .build, loaded through dlopen as
/// `repro` loads it: the model tests' way in to a plugin's models without running it.
enum BuiltPlugin {
    /// Task `name` of `lib<library>.so` (whose id must be `id`), with `settings` set in order
    /// over the task's defaults and then `overrides` applied as `--set` would, seed 0.
    static func task(_ library: String, id: String, task name: String, settings: [(String, ConfigValue)] = [],
                     overrides: [String] = []) throws -> TrainingTask {
        let path = OneCopyTests.buildDir + "/lib\(library).so"
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLITestError("no \(path): build the plugins first (scripts/build; scripts/test does)")
        }
        let loaded = try PluginLoader.load(path: path)
        XCTAssertEqual(loaded.plugin.id, id)
        let kind = try XCTUnwrap(loaded.plugin.tasks.first { $0.name == name }, "plugin \(id) has no task '\(name)'")
        var config = kind.defaults
        for (key, value) in settings { try config.set(key, value) }
        for text in overrides { try config.apply(override: text) }
        return try kind.make(config, context: RunContext(seed: 0))
    }

    /// The model of a translation plugin's `translate` task.
    static func translationModel(_ library: String, id: String, settings: [(String, ConfigValue)]) throws -> any TranslationModel {
        let task = try task(library, id: id, task: "translate", settings: settings)
        return try XCTUnwrap(task.model as? any TranslationModel, "the translate task's model is no TranslationModel")
    }
}
