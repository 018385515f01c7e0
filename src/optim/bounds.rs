//! A box every coordinate of x must stay in, kept by projection: the optimisers move, then clamp.
//! For pixels this is 0–255: a picture is saved clamped, so an optimum found outside the range
//! is not the picture the user gets.

use burn::tensor::Tensor;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub low: f32,
    pub high: f32,
}

impl Bounds {
    /// The nearest point of the box.
    pub fn project(&self, x: Tensor<1>) -> Tensor<1> {
        x.clamp(self.low, self.high)
    }

    /// `direction` less its components that push a coordinate already on a bound outwards:
    /// those cannot move, and leaving them in would count a decrease the step cannot make.
    pub fn free_direction(&self, x: &Tensor<1>, direction: Tensor<1>) -> Tensor<1> {
        let out_below = x.clone().lower_equal_elem(self.low).bool_and(direction.clone().lower_elem(0.0));
        let out_above = x.clone().greater_equal_elem(self.high).bool_and(direction.clone().greater_elem(0.0));
        direction.mask_fill(out_below.bool_or(out_above), 0.0)
    }
}

/// `x` moved into `bounds`, or `x` as it is where there are none.
pub fn within(bounds: Option<Bounds>, x: Tensor<1>) -> Tensor<1> {
    match bounds {
        Some(bounds) => bounds.project(x),
        None => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn values(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn only_the_components_leaving_the_box_are_dropped() {
        let device = Device::flex();
        let bounds = Bounds { low: 0.0, high: 255.0 };
        let x = Tensor::<1>::from_floats([0.0, 0.0, 255.0, 255.0, 100.0, 100.0], &device);
        let d = Tensor::<1>::from_floats([-1.0, 2.0, 3.0, -4.0, -5.0, 6.0], &device);
        assert_eq!(values(bounds.free_direction(&x, d)), [0.0, 2.0, 0.0, -4.0, -5.0, 6.0]);
        let outside = Tensor::<1>::from_floats([-3.0, 300.0, 7.5], &device);
        assert_eq!(values(bounds.project(outside)), [0.0, 255.0, 7.5]);
    }
}
