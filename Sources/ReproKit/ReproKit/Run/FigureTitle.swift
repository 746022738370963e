import Foundation

/// The words on a figure that say what it shows: the experiment (and variant), the seed or
/// seeds, and whether these were quick runs, so that a figure pasted into a report is never
/// mistaken for another.
public enum FigureTitle {
    /// "resnet-degradation / plain8 · seed 0 · quick run", "vit-vs-resnet · seeds 0-2".
    public static func runs(experiment: String, variant: String? = nil, seeds: [UInt64], quick: Bool) -> String {
        var parts = [experiment + (variant.map { " / \($0)" } ?? "")]
        if !seeds.isEmpty {
            parts.append((seeds.count == 1 ? "seed " : "seeds ") + ExperimentRunner.seedText(seeds))
        }
        if quick { parts.append("quick run") }
        return parts.joined(separator: " · ")
    }
}
