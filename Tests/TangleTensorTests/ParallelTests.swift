import Synchronization
import Testing
@testable import TangleTensor

@Suite struct ParallelTests {
    @Test func splitCoversTheRangeInOrder() {
        let r = Parallel.split(10, into: 3)
        #expect(r == [0..<4, 4..<7, 7..<10])
        #expect(Parallel.split(1, into: 2) == [0..<1, 1..<1])
    }

    @Test func runVisitsEveryWorkerOnce() {
        let hits = FloatBuffer(count: 8)
        let p = hits.shared
        Parallel.run(8) { w in p.base[w] += 1 }
        #expect(hits.array == [Float](repeating: 1, count: 8))
    }

    @Test func tensorShapesAndRows() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.rows == 2)
        #expect(t.rowWidth == 3)
        #expect(Array(t.row(1)) == [4, 5, 6])
        #expect(t.reshaped([3, 2]).shape == [3, 2])
    }
}
