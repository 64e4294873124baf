import CDNNL

/// A tensor flowing between two layers in a plan: its value and, in training, its gradient,
/// both in the layout the producing primitive chose.
public struct Activation {
    public let shape: Shape
    let value: Memory
    /// Nil where no gradient is needed: the network input, and every activation of an inference plan.
    let gradient: Memory?
    /// In an int8 plan, what one unit of an int8 value stands for (the value is `scale` times the integer); 1 for floats.
    var scale: Float = 1

    var descriptor: MemoryDescriptor { value.descriptor }
}

extension Activation {
    var isInt8: Bool { [dnnl_u8, dnnl_s8].contains(descriptor.dataType) }
}
