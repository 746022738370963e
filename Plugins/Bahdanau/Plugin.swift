// STUB for the model branch only: the lead's real Plugin.swift (config, the shared
// translation task) replaces this file when merging. It exposes just enough for
// BahdanauModelTests to load libBahdanau.so and reach the model through task "translate".
import Foundation
import ReproKit

struct BahdanauConfig: Codable {
    var dataset = "toy"
    var embed = 620
    var hidden = 1000
    var decoder_hidden = 1000
    var attention_dim = 1000
    var maxout = 500
    var attention = true
    var deep_output = true
    var dropout = 0.0
    var paper_init = true
}

final class BahdanauPlugin: PaperPlugin {
    let id = "bahdanau"
    let version = "0.0-stub"
    var tasks: [TaskKind] {
        [TaskKind(name: "translate", summary: "STUB: RNNsearch / RNNencdec model only",
                  defaults: BahdanauConfig()) { config, context in try StubTranslationTask(config, context) }]
    }
}

/// Holds the model; trains on nothing.
final class StubTranslationTask: TrainingTask {
    let model: Module
    let plan = TrainingPlan(epochs: 1, batchesPerEpoch: 1, optimizer: .adadelta(rho: 0.95, epsilon: 1e-6, weightDecay: 0),
                            schedule: .constant(1))

    init(_ c: BahdanauConfig, _ context: RunContext) throws {
        guard c.dataset == "toy" else { throw ConfigError.invalid("the stub knows only dataset \"toy\"") }
        var rng = context.rng.split(1)
        model = RNNSearch(RNNSearchShape(sourceVocabulary: 20, targetVocabulary: 20, embed: c.embed, hidden: c.hidden,
                                         decoderHidden: c.decoder_hidden, attentionDim: c.attention_dim,
                                         maxout: c.maxout, attends: c.attention, deepOutput: c.deep_output,
                                         dropout: Float(c.dropout), paperInit: c.paper_init, padID: 0),
                          rng: &rng)
    }

    func evaluate(at point: RunPoint) throws -> [String: Double] { [:] }
}

@_cdecl("repro_plugin_abi")
public func reproPluginABI() -> Int32 { reproPluginABIVersion }

@_cdecl("repro_plugin_entry")
public func reproPluginEntry() -> UnsafeMutableRawPointer { exportPlugin(BahdanauPlugin()) }
