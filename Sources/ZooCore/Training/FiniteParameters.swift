extension Network {
    /// The first parameter holding a NaN or an infinity, scanned in the parameters' own buffers.
    /// `x - x` is 0 for a finite x and NaN otherwise, so one SIMD pass with no branch per value finds it.
    package func firstNonFiniteParameter() -> String? {
        namedParameters.first { _, parameter in
            parameter.value.withFloats { values in
                var accumulator = SIMD16<Float>(repeating: 0)
                let whole = values.count / 16 * 16
                UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(values)[0 ..< whole * 4]).withMemoryRebound(to: SIMD16<Float>.self) { chunks in
                    for chunk in chunks { accumulator += chunk - chunk }
                }
                var rest: Float = 0
                for index in whole ..< values.count { rest += values[index] - values[index] }
                return !(accumulator.sum() + rest).isFinite
            }
        }?.name
    }
}
