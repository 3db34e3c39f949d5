import ArgumentParser
import CBLAS
import CJPEG
import CPNG
import CZlib
import TangleBLASCore
import TangleTensor
import TangleTraining

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Tangle's version and the native libraries it runs on.")

    @Flag(help: "Print one JSON object.")
    var json = false

    /// What `tangle version --json` prints.
    struct Report: Encodable {
        var tangle: String
        var openblas: String
        var blasKernel: BLASKernel
        var libjpegApi: Int
        var libpng: String
        var zlib: String
    }

    func run() throws {
        let r = Report(
            tangle: tangleVersion, openblas: BLAS.configuration, blasKernel: BLAS.kernel, libjpegApi: Int(JPEG_LIB_VERSION),
            libpng: String(cString: png_get_libpng_ver(nil)), zlib: String(cString: zlibVersion()))
        if json {
            try printJSON(r)
            return
        }
        print("tangle \(r.tangle)")
        print("OpenBLAS: \(r.openblas)")
        print("BLAS kernel: \(r.blasKernel.summary)")
        print("libjpeg API: \(r.libjpegApi)")
        print("libpng: \(r.libpng)")
        print("zlib: \(r.zlib)")
    }
}
