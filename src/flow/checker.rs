//! A plane split by checkerboard colour for red-black relaxation: "red" pixels (x + y even)
//! in one buffer, "black" (x + y odd) in the other, each row of a colour contiguous with a
//! spare cell at either end, and a spare row above and below. Every neighbour of a pixel has
//! the other colour, so a sweep over one colour reads only the other buffer: its updates are
//! independent and contiguous, and the compiler vectorises them.

/// One plane in checkerboard layout. Pixel x of row y has colour (x + y) % 2 and sits at
/// index x / 2 + 1 of its colour's row y + 1.
#[derive(Clone)]
pub(super) struct Checker {
    pub width: usize,
    pub height: usize,
    /// Cells per row of a colour, spares included.
    pub stride: usize,
    pub colours: [Vec<f32>; 2],
}

impl Checker {
    pub fn zeros(width: usize, height: usize) -> Checker {
        let stride = width.div_ceil(2) + 2;
        let cells = stride * (height + 2);
        Checker { width, height, stride, colours: [vec![0.0; cells], vec![0.0; cells]] }
    }

    /// Where pixel (x, y) lives: its colour and its index in that colour's buffer.
    fn cell(&self, x: usize, y: usize) -> (usize, usize) {
        ((x + y) % 2, (y + 1) * self.stride + x / 2 + 1)
    }

    /// A row-major `width`×`height` plane, spares zero.
    pub fn from_plane(plane: &[f32], width: usize, height: usize) -> Checker {
        let mut out = Checker::zeros(width, height);
        for y in 0..height {
            let row = &plane[y * width..(y + 1) * width];
            for colour in 0..2 {
                let parity = Checker::parity(colour, y);
                let cells = out.run_mut(colour, y);
                cells.iter_mut().zip(row.iter().skip(parity).step_by(2)).for_each(|(c, p)| *c = *p);
            }
        }
        out
    }

    pub fn to_plane(&self) -> Vec<f32> {
        let mut plane = vec![0.0; self.width * self.height];
        for (y, row) in plane.chunks_exact_mut(self.width).enumerate() {
            for colour in 0..2 {
                let parity = Checker::parity(colour, y);
                let cells = self.cells(colour, y);
                row.iter_mut().skip(parity).step_by(2).zip(cells).for_each(|(p, c)| *p = *c);
            }
        }
        plane
    }

    /// The column parity of `colour`'s pixels in row y: its k-th cell (from 1) is pixel
    /// x = 2(k − 1) + parity, its left neighbour is the other colour's cell k − 1 + parity and
    /// its right one cell k + parity; those above and below are the other colour's cell k.
    pub fn parity(colour: usize, y: usize) -> usize {
        (y + colour) % 2
    }

    /// How many pixels of `colour` row y holds.
    pub fn count(&self, colour: usize, y: usize) -> usize {
        if Checker::parity(colour, y) == 0 { self.width.div_ceil(2) } else { self.width / 2 }
    }

    /// `n` cells of `colour`'s row `y + 1 + dy` (dy of −1, 0 or 1), from cell `from`.
    pub fn run(&self, colour: usize, y: usize, dy: isize, from: usize, n: usize) -> &[f32] {
        let row = (y as isize + 1 + dy) as usize;
        &self.colours[colour][row * self.stride + from..][..n]
    }

    /// The cells of `colour` in row y (cells 1 to count).
    pub fn cells(&self, colour: usize, y: usize) -> &[f32] {
        self.run(colour, y, 0, 1, self.count(colour, y))
    }

    /// For the pixels of `colour` in row y, the cells of their left, right, upper and lower
    /// neighbours (all of the other colour), in that order.
    pub fn neighbours(&self, colour: usize, y: usize) -> [&[f32]; 4] {
        let (n, parity, other) = (self.count(colour, y), Checker::parity(colour, y), 1 - colour);
        [
            self.run(other, y, 0, parity, n),
            self.run(other, y, 0, 1 + parity, n),
            self.run(other, y, -1, 1, n),
            self.run(other, y, 1, 1, n),
        ]
    }

    /// The cells of `colour` in row y, then [`Checker::neighbours`].
    pub fn around(&self, colour: usize, y: usize) -> [&[f32]; 5] {
        let [left, right, up, down] = self.neighbours(colour, y);
        [self.cells(colour, y), left, right, up, down]
    }

    /// The cells of `colour` in row y (cells 1 to count), to write.
    pub fn run_mut(&mut self, colour: usize, y: usize) -> &mut [f32] {
        let n = self.count(colour, y);
        let start = (y + 1) * self.stride + 1;
        &mut self.colours[colour][start..start + n]
    }

    /// The cells of `colour` in row y to write, and (to read) those of their left, right, upper
    /// and lower neighbours, as [`Checker::neighbours`].
    pub fn cells_and_neighbours(&mut self, colour: usize, y: usize) -> (&mut [f32], [&[f32]; 4]) {
        let (n, parity, stride) = (self.count(colour, y), Checker::parity(colour, y), self.stride);
        let [red, black] = &mut self.colours;
        let (mine, other) = if colour == 0 { (red, &*black) } else { (black, &*red) };
        let row = |dy: usize, from: usize| &other[(y + dy) * stride + from..][..n];
        let neighbours = [row(1, parity), row(1, 1 + parity), row(0, 1), row(2, 1)];
        (&mut mine[(y + 1) * stride + 1..][..n], neighbours)
    }

    /// Fill the spare cells with the nearest pixel's value, so that a difference across the
    /// image's edge is zero.
    pub fn replicate_edges(&mut self) {
        let (w, h) = (self.width as isize, self.height as isize);
        for colour in 0..2 {
            for row in 0..self.height + 2 {
                let y = row as isize - 1;
                let parity = (y + colour as isize).rem_euclid(2);
                let spares = if (0..h).contains(&y) {
                    // The first cell and those past the row's last pixel.
                    let count = self.count(colour, y as usize);
                    std::iter::once(0).chain(count + 1..self.stride).collect::<Vec<_>>()
                } else {
                    (0..self.stride).collect()
                };
                for k in spares {
                    let x = 2 * (k as isize - 1) + parity;
                    let (cx, cy) = (x.clamp(0, w - 1) as usize, y.clamp(0, h - 1) as usize);
                    let (from, i) = self.cell(cx, cy);
                    self.colours[colour][row * self.stride + k] = self.colours[from][i];
                }
            }
        }
    }
}
