import CBLAS

/// Eigen-decomposition of symmetric matrices by LAPACK's `dsyevd` (divide and conquer), from OpenBLAS.
public enum SymmetricEigen {
    /// Why a decomposition (or a QR factorisation) failed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// LAPACK's `info` (0 when the input was refused before LAPACK ran).
        public var info: Int32
        public var description: String {
            info == 0
                ? "the matrix holds NaN or infinite values: check the model's weights and the training images"
                : "LAPACK failed (info \(info)): the matrix may hold NaN or infinite values"
        }
    }

    /// Eigenvalues (ascending) and eigenvectors of a symmetric `size x size` matrix.
    /// - Returns: `values`, and `vectors` row-major with column `e` the unit eigenvector of `values[e]`.
    public static func decompose(_ matrix: [Double], size n: Int) throws -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n, "matrix is not \(n) x \(n)")
        guard n > 0 else { return ([], []) }
        guard matrix.allSatisfy(\.isFinite) else { throw Failure(info: 0) }
        // Symmetric: row-major and column-major are the same matrix. LAPACK leaves the vectors in
        // its columns, i.e. vector e at a[e * n ..< (e + 1) * n].
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery = [Double](repeating: 0, count: 1), iworkQuery = [Int32](repeating: 0, count: 1)
        let jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        var j = jobz, u = uplo
        dsyevd_(&j, &u, &size, &a, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info, 1, 1)
        guard info == 0 else { throw Failure(info: info) }
        lwork = Int32(workQuery[0])
        liwork = iworkQuery[0]
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&j, &u, &size, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else { throw Failure(info: info) }
        var vectors = [Double](repeating: 0, count: n * n)
        for e in 0..<n { for i in 0..<n { vectors[i * n + e] = a[e * n + i] } }
        return (w, vectors)
    }
}
