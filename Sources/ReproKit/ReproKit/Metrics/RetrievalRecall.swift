import TensorCore

/// Recall@k of a retrieval: for each query (a row of `similarity`, [queries, items]), whether
/// an item that counts as a match is among the k most similar items; the share of queries
/// for which one is. `matches(query, item)` says what counts: the paired item only, or (for
/// CLIP's generated captions, where many images share one caption word for word) any item
/// that cannot be told from it. Ties are broken toward the lower item index.
public func retrievalRecall(similarity: Tensor, k: Int, matches: (_ query: Int, _ item: Int) -> Bool) -> Double {
    precondition(similarity.rank == 2 && k >= 1, "retrievalRecall: similarity must be [queries, items] and k ≥ 1")
    let (queries, items) = (similarity.shape[0], similarity.shape[1])
    guard queries > 0 else { return 0 }
    let s = similarity.scalars
    var hits = 0
    for q in 0..<queries {
        let row = s[(q * items)..<((q + 1) * items)]
        // The k most similar: items sorted by (similarity desc, index asc).
        let top = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)
        if top.contains(where: { matches(q, $0 - q * items) }) { hits += 1 }
    }
    return Double(hits) / Double(queries)
}
