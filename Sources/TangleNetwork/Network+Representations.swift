import TangleTensor

extension Network {
    /// Runs `count` images (`[count, inputSize]`) through the network in batches and returns the
    /// named representations, each `[count, width]`, computed in `arithmetic` (with `batchInvariant`,
    /// as judging computes them: see ``Workspace``).
    /// - Throws: ``NetworkError/unknownRepresentation(_:_:)``.
    public func representations(_ names: [String], of input: UnsafePointer<Float>, count: Int, batch: Int = 500, arithmetic: Arithmetic = .float32,
        batchInvariant: Bool = false
    ) throws -> [FloatBuffer] {
        let indices = try names.map { try representationIndex($0) }
        let widths = try names.map { try representationSize($0) }
        let out = widths.map { FloatBuffer(count: count * $0) }
        let ws = Workspace(network: self, capacity: max(1, min(batch, count)), trainable: false, arithmetic: arithmetic, batchInvariant: batchInvariant)
        let size = inputShape.size
        var start = 0
        while start < count {
            let n = min(ws.capacity, count - start)
            ws.input.pointer.update(from: input + start * size, count: n * size)
            forward(ws, count: n)
            for (l, idx) in indices.enumerated() {
                (out[l].pointer + start * widths[l]).update(from: ws.activation(idx).pointer, count: n * widths[l])
            }
            start += n
        }
        return out
    }
}
