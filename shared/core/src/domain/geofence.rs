//! Geofences: the circles and polygons a tenant draws on the map, checked for sense when they
//! are written, and the one question compliance asks of them: is this position fix inside,
//! outside, or too imprecise to say? A poor fix is `Uncertain`, so it never triggers an exit.
//!
//! The model, and what it approximates:
//! - The Earth is a sphere of radius 6,371,008.8 m (the IUGG mean radius `geo`'s `Haversine`
//!   uses). A circle is every point within `radius_m` great-circle distance of its centre, so
//!   circles work anywhere, across the antimeridian and near the poles too.
//! - A polygon's edges are straight lines in (longitude, latitude): point-in-polygon is decided
//!   on the coordinates as given. Over the sizes geofences have (a site, a town) this differs
//!   from great-circle edges by a few metres; over a 100 km edge at 60° latitude by some 300 m,
//!   which is why edges must stay short where that matters. Polygons may not cross the
//!   antimeridian (an edge spanning more than 180° of longitude is refused): split one that
//!   does into two geofences on either side.
//! - The distance from a fix to a polygon's boundary (needed only when the fix has an
//!   accuracy radius) is measured in a local equirectangular projection centred on the fix:
//!   metres east are degrees of longitude times the cosine of the fix's latitude. That maps the
//!   polygon's straight edges to straight lines, so the boundary measured is exactly the one
//!   containment is decided on; distances are off by a relative `tan(latitude) × Δlatitude` (in
//!   radians): under 1 % for a boundary within 50 km of a fix at 45°, which only moves the line
//!   between `Uncertain` and a certain answer by that fraction of the accuracy radius.

use geo::coordinate_position::CoordPos;
use geo::{
    Area, Coord, CoordinatePosition, Distance, Euclidean, Haversine, LineString, Point, Polygon,
    Validation,
};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Smallest circle radius: below the accuracy of a good GPS fix, a circle could never hold a
/// device with certainty.
pub const MIN_RADIUS_M: f64 = 10.0;
/// Largest circle radius: a region, not a continent.
pub const MAX_RADIUS_M: f64 = 100_000.0;
pub const MIN_POLYGON_POINTS: usize = 3;
/// A geofence is stored as one item and evaluated on check-ins: a hundred vertices draw any
/// site or district and keep the item (and each evaluation) small.
pub const MAX_POLYGON_POINTS: usize = 100;

/// Metres per degree of latitude (and of longitude on the equator) on `Haversine`'s sphere.
const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A geofence's area. The JSON form is tagged like a command's:
/// `{"type": "circle", "latitude", "longitude", "radius_m"}` or
/// `{"type": "polygon", "points": [[latitude, longitude], ...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shape {
    /// Every point within `radius_m` metres (great-circle distance) of the centre.
    Circle {
        /// Degrees, −90 to 90.
        #[schemars(range(min = -90.0, max = 90.0))]
        latitude: f64,
        /// Degrees, −180 to 180.
        #[schemars(range(min = -180.0, max = 180.0))]
        longitude: f64,
        /// Metres, 10 to 100,000.
        #[schemars(range(min = 10.0, max = 100000.0))]
        radius_m: f64,
    },
    /// The area enclosed by 3 to 100 vertices, each `[latitude, longitude]` in degrees, in
    /// order around the shape (either direction). The ring closes itself: do not repeat the
    /// first vertex. Edges may not cross each other nor the antimeridian.
    Polygon {
        #[schemars(schema_with = "polygon_points")]
        points: Vec<[f64; 2]>,
    },
}

/// Where a position fix is relative to a geofence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Containment {
    /// The whole accuracy circle of the fix is inside (a fix on the boundary, with no
    /// accuracy given, counts as inside).
    Inside,
    /// The whole accuracy circle is outside.
    Outside,
    /// The accuracy circle straddles the boundary, or the fix is not a number: nothing may be
    /// concluded from it.
    Uncertain,
}

impl Shape {
    /// Checks the shape as it appears under `shape` in a request; errors name the field, e.g.
    /// `shape.radius_m` or `shape.points[4]`.
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at("shape")
    }

    /// The same, for a shape found at another path of a document.
    pub fn validate_at(&self, path: &str) -> Result<(), Error> {
        match self {
            Shape::Circle {
                latitude,
                longitude,
                radius_m,
            } => {
                if !valid_latitude(*latitude) {
                    return Err(bad(path, ".latitude", "must be from -90 to 90 degrees"));
                }
                if !valid_longitude(*longitude) {
                    return Err(bad(path, ".longitude", "must be from -180 to 180 degrees"));
                }
                if !(MIN_RADIUS_M..=MAX_RADIUS_M).contains(radius_m) {
                    return Err(bad(path, ".radius_m", "must be from 10 to 100000 metres"));
                }
                Ok(())
            }
            Shape::Polygon { points } => validate_polygon(path, points),
        }
    }

    /// Where a fix at (`latitude`, `longitude`) with an accuracy radius of `accuracy_m` metres
    /// is: `Inside` or `Outside` only when its whole accuracy circle is; otherwise `Uncertain`.
    /// No accuracy (or 0) means an exact fix. A non-finite coordinate or accuracy, or a
    /// negative accuracy, is `Uncertain`: a broken fix must not move a device out of its fence.
    pub fn contains(&self, latitude: f64, longitude: f64, accuracy_m: Option<f64>) -> Containment {
        let accuracy = accuracy_m.unwrap_or(0.0);
        let broken = !latitude.is_finite() || !longitude.is_finite() || !accuracy.is_finite();
        if broken || accuracy < 0.0 {
            return Containment::Uncertain;
        }
        match self {
            Shape::Circle {
                latitude: lat0,
                longitude: lon0,
                radius_m,
            } => {
                let d =
                    Haversine.distance(Point::new(*lon0, *lat0), Point::new(longitude, latitude));
                if d + accuracy <= *radius_m {
                    Containment::Inside
                } else if d - accuracy > *radius_m {
                    Containment::Outside
                } else {
                    Containment::Uncertain
                }
            }
            Shape::Polygon { points } => {
                let polygon = to_polygon(points);
                let inside = match polygon.coordinate_position(&Coord {
                    x: longitude,
                    y: latitude,
                }) {
                    CoordPos::Inside | CoordPos::OnBoundary => true,
                    CoordPos::Outside => false,
                };
                if accuracy == 0.0 {
                    return if inside {
                        Containment::Inside
                    } else {
                        Containment::Outside
                    };
                }
                let to_boundary = boundary_distance_m(points, latitude, longitude);
                match (inside, to_boundary) {
                    (true, d) if d >= accuracy => Containment::Inside,
                    (false, d) if d > accuracy => Containment::Outside,
                    _ => Containment::Uncertain,
                }
            }
        }
    }
}

fn bad(path: &str, field: &str, message: &str) -> Error {
    Error::invalid_field(&format!("{path}{field}"), message)
}

fn valid_latitude(v: f64) -> bool {
    (-90.0..=90.0).contains(&v)
}

fn valid_longitude(v: f64) -> bool {
    (-180.0..=180.0).contains(&v)
}

/// A polygon's vertices as the schema states them: `[latitude, longitude]` pairs in range.
fn polygon_points(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "minItems": MIN_POLYGON_POINTS,
        "maxItems": MAX_POLYGON_POINTS,
        "items": {
            "type": "array",
            "prefixItems": [
                {"type": "number", "minimum": -90.0, "maximum": 90.0},
                {"type": "number", "minimum": -180.0, "maximum": 180.0},
            ],
            "items": false,
            "minItems": 2,
        },
    })
}

fn validate_polygon(path: &str, points: &[[f64; 2]]) -> Result<(), Error> {
    if !(MIN_POLYGON_POINTS..=MAX_POLYGON_POINTS).contains(&points.len()) {
        return Err(bad(
            path,
            ".points",
            &format!("must hold {MIN_POLYGON_POINTS} to {MAX_POLYGON_POINTS} vertices"),
        ));
    }
    for (i, [lat, lon]) in points.iter().enumerate() {
        let at = format!(".points[{i}]");
        if !valid_latitude(*lat) {
            return Err(bad(path, &at, "latitude must be from -90 to 90 degrees"));
        }
        if !valid_longitude(*lon) {
            return Err(bad(path, &at, "longitude must be from -180 to 180 degrees"));
        }
    }
    for i in 0..points.len() {
        let next = (i + 1) % points.len();
        if points[i] == points[next] {
            return Err(if next == 0 {
                bad(
                    path,
                    &format!(".points[{i}]"),
                    "repeats the first vertex: the ring closes itself",
                )
            } else {
                bad(
                    path,
                    &format!(".points[{next}]"),
                    "repeats the vertex before it",
                )
            });
        }
        // Longitudes as given: an edge spanning more than half the globe is one whose author
        // meant the short way round, across the antimeridian, which planar edges cannot draw.
        if (points[i][1] - points[next][1]).abs() > 180.0 {
            return Err(bad(
                path,
                &format!(".points[{next}]"),
                "the edge to this vertex crosses the antimeridian; split the area into two geofences",
            ));
        }
    }
    let polygon = to_polygon(points);
    // geo checks that the ring is simple: no edge crosses or touches another.
    if !polygon.is_valid() {
        return Err(bad(
            path,
            ".points",
            "edges cross or touch each other; list the vertices in order around the area",
        ));
    }
    if polygon.unsigned_area() <= 0.0 {
        return Err(bad(path, ".points", "the vertices enclose no area"));
    }
    Ok(())
}

/// The polygon in `geo`'s (x = longitude, y = latitude) order; geo closes the ring.
fn to_polygon(points: &[[f64; 2]]) -> Polygon<f64> {
    let ring: LineString<f64> = points
        .iter()
        .map(|[lat, lon]| Coord { x: *lon, y: *lat })
        .collect();
    Polygon::new(ring, vec![])
}

/// Metres from the fix to the nearest point of the polygon's boundary, in the local
/// equirectangular projection described at the top of this file.
fn boundary_distance_m(points: &[[f64; 2]], latitude: f64, longitude: f64) -> f64 {
    // The polygon stays within [-180, 180] without crossing the antimeridian, but the fix may
    // be just across it: take the fix's longitude in the turn of the globe nearest the polygon.
    let (min_lon, max_lon) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p[1]), hi.max(p[1]))
    });
    let middle = (min_lon + max_lon) / 2.0;
    let longitude = [longitude - 360.0, longitude, longitude + 360.0]
        .into_iter()
        .min_by(|a, b| (a - middle).abs().total_cmp(&(b - middle).abs()))
        .unwrap_or(longitude);
    let east = latitude.to_radians().cos() * METRES_PER_DEGREE;
    let mut ring: LineString<f64> = points
        .iter()
        .map(|[lat, lon]| Coord {
            x: (lon - longitude) * east,
            y: (lat - latitude) * METRES_PER_DEGREE,
        })
        .collect();
    ring.close();
    Euclidean.distance(&Point::new(0.0, 0.0), &ring)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres per degree of latitude, for placing test fixes at known distances.
    const M: f64 = METRES_PER_DEGREE;

    fn circle(radius_m: f64) -> Shape {
        Shape::Circle {
            latitude: 48.8584,
            longitude: 2.2945,
            radius_m,
        }
    }

    /// A fix `metres` due north of the test circle's centre.
    fn north_of_centre(metres: f64) -> (f64, f64) {
        (48.8584 + metres / M, 2.2945)
    }

    /// A concave "C" around the origin, open to the east: its notch (x 0.2–1, y 0.4–0.6,
    /// in degrees) is outside although it lies inside the polygon's bounding box.
    fn concave() -> Shape {
        Shape::Polygon {
            points: vec![
                [0.0, 0.0],
                [0.0, 1.0],
                [0.4, 1.0],
                [0.4, 0.2],
                [0.6, 0.2],
                [0.6, 1.0],
                [1.0, 1.0],
                [1.0, 0.0],
            ],
        }
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::InvalidField { field, .. } => field,
            other => panic!("expected invalid_field, got {other:?}"),
        }
    }

    #[test]
    fn a_point_just_inside_a_circle_is_inside_and_just_outside_is_outside() {
        let c = circle(100.0);
        let (lat, lon) = north_of_centre(99.0);
        assert_eq!(c.contains(lat, lon, None), Containment::Inside);
        let (lat, lon) = north_of_centre(101.0);
        assert_eq!(c.contains(lat, lon, None), Containment::Outside);
    }

    #[test]
    fn a_fix_whose_accuracy_circle_straddles_a_circles_edge_is_uncertain() {
        let c = circle(1_000.0);
        let (lat, lon) = north_of_centre(950.0);
        assert_eq!(c.contains(lat, lon, Some(20.0)), Containment::Inside);
        assert_eq!(c.contains(lat, lon, Some(500.0)), Containment::Uncertain);
        let (lat, lon) = north_of_centre(1_100.0);
        assert_eq!(c.contains(lat, lon, Some(50.0)), Containment::Outside);
        assert_eq!(c.contains(lat, lon, Some(500.0)), Containment::Uncertain);
    }

    #[test]
    fn a_circle_on_the_antimeridian_holds_points_on_both_sides() {
        let c = Shape::Circle {
            latitude: -17.0,
            longitude: 180.0,
            radius_m: 5_000.0,
        };
        assert_eq!(c.contains(-17.0, -179.99, None), Containment::Inside);
        assert_eq!(c.contains(-17.0, 179.99, None), Containment::Inside);
        assert_eq!(c.contains(-17.0, -179.9, None), Containment::Outside);
    }

    #[test]
    fn a_concave_polygons_notch_is_outside_and_its_arms_are_inside() {
        let p = concave();
        assert_eq!(p.contains(0.5, 0.5, None), Containment::Outside);
        assert_eq!(p.contains(0.2, 0.5, None), Containment::Inside);
        assert_eq!(p.contains(0.8, 0.5, None), Containment::Inside);
        assert_eq!(p.contains(0.5, 0.1, None), Containment::Inside);
        assert_eq!(p.contains(1.5, 0.5, None), Containment::Outside);
    }

    #[test]
    fn a_fix_on_a_polygons_edge_without_accuracy_counts_as_inside() {
        assert_eq!(concave().contains(0.0, 0.5, None), Containment::Inside);
    }

    #[test]
    fn a_fix_with_a_large_accuracy_near_a_polygons_edge_is_uncertain() {
        let p = concave();
        // 0.001° of latitude (~111 m) inside the southern edge.
        assert_eq!(p.contains(0.001, 0.5, Some(50.0)), Containment::Inside);
        assert_eq!(p.contains(0.001, 0.5, Some(500.0)), Containment::Uncertain);
        // In the notch, ~0.1° (11 km) from its walls: outside unless the fix is that poor.
        assert_eq!(p.contains(0.5, 0.6, Some(5_000.0)), Containment::Outside);
        assert_eq!(p.contains(0.5, 0.6, Some(20_000.0)), Containment::Uncertain);
    }

    #[test]
    fn the_distance_to_a_polygons_edge_is_measured_in_metres_at_the_fixs_latitude() {
        // A square at 60° north, where a degree of longitude is half a degree of latitude:
        // a fix 1 km west of the eastern edge is certain within 990 m, not within 1,010 m.
        let p = Shape::Polygon {
            points: vec![[59.9, 10.0], [60.1, 10.0], [60.1, 10.4], [59.9, 10.4]],
        };
        let lon = 10.4 - 1_000.0 / (M * 60f64.to_radians().cos());
        assert_eq!(p.contains(60.0, lon, Some(990.0)), Containment::Inside);
        assert_eq!(p.contains(60.0, lon, Some(1_010.0)), Containment::Uncertain);
    }

    #[test]
    fn a_polygon_next_to_the_antimeridian_measures_a_fix_across_it_as_near() {
        let p = Shape::Polygon {
            points: vec![
                [-17.1, 179.9],
                [-16.9, 179.9],
                [-16.9, 179.999],
                [-17.1, 179.999],
            ],
        };
        // ~500 m east of the polygon's eastern edge, on the other side of the antimeridian.
        let lon = -180.0 + 0.0035;
        assert_eq!(p.contains(-17.0, lon, None), Containment::Outside);
        assert_eq!(p.contains(-17.0, lon, Some(100.0)), Containment::Outside);
        assert_eq!(
            p.contains(-17.0, lon, Some(1_000.0)),
            Containment::Uncertain
        );
    }

    #[test]
    fn a_broken_fix_is_uncertain_never_outside() {
        let c = circle(100.0);
        assert_eq!(c.contains(f64::NAN, 2.0, None), Containment::Uncertain);
        assert_eq!(
            c.contains(48.0, 2.0, Some(f64::NAN)),
            Containment::Uncertain
        );
        assert_eq!(c.contains(48.0, 2.0, Some(-1.0)), Containment::Uncertain);
        assert_eq!(
            concave().contains(0.5, f64::INFINITY, None),
            Containment::Uncertain
        );
    }

    #[test]
    fn good_shapes_pass_validation() {
        assert!(circle(10.0).validate().is_ok());
        assert!(circle(100_000.0).validate().is_ok());
        assert!(concave().validate().is_ok());
        let clockwise = Shape::Polygon {
            points: vec![[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
        };
        assert!(clockwise.validate().is_ok());
    }

    #[test]
    fn bad_circles_name_their_field() {
        let with = |lat: f64, lon: f64, r: f64| Shape::Circle {
            latitude: lat,
            longitude: lon,
            radius_m: r,
        };
        for (shape, field) in [
            (with(90.5, 0.0, 100.0), "shape.latitude"),
            (with(f64::NAN, 0.0, 100.0), "shape.latitude"),
            (with(0.0, -180.5, 100.0), "shape.longitude"),
            (with(0.0, 0.0, 9.9), "shape.radius_m"),
            (with(0.0, 0.0, 100_001.0), "shape.radius_m"),
            (with(0.0, 0.0, f64::INFINITY), "shape.radius_m"),
        ] {
            assert_eq!(field_of(shape.validate().unwrap_err()), field, "{shape:?}");
        }
    }

    #[test]
    fn bad_polygons_name_their_field() {
        let poly = |points: Vec<[f64; 2]>| Shape::Polygon { points };
        let many: Vec<[f64; 2]> = (0..101)
            .map(|i| {
                let a = f64::from(i) * std::f64::consts::TAU / 101.0;
                [a.sin(), a.cos()]
            })
            .collect();
        for (shape, field) in [
            (poly(vec![[0.0, 0.0], [1.0, 1.0]]), "shape.points"),
            (poly(many), "shape.points"),
            (
                poly(vec![[0.0, 0.0], [91.0, 1.0], [0.0, 1.0]]),
                "shape.points[1]",
            ),
            (
                poly(vec![[0.0, 0.0], [1.0, 1.0], [0.0, 181.0]]),
                "shape.points[2]",
            ),
            // The ring closed by hand: its last vertex repeats the first.
            (
                poly(vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]),
                "shape.points[3]",
            ),
            (
                poly(vec![[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
                "shape.points[2]",
            ),
            // A bow tie: its edges cross.
            (
                poly(vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]),
                "shape.points",
            ),
            // Collinear: no area.
            (
                poly(vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]),
                "shape.points",
            ),
            // Meant the short way across the antimeridian.
            (
                poly(vec![
                    [0.0, 179.0],
                    [1.0, 179.0],
                    [1.0, -179.0],
                    [0.0, -179.0],
                ]),
                "shape.points[2]",
            ),
        ] {
            assert_eq!(field_of(shape.validate().unwrap_err()), field, "{shape:?}");
        }
    }

    #[test]
    fn a_shape_under_another_path_names_that_path() {
        let e = circle(1.0).validate_at("rules[2].shape").unwrap_err();
        assert_eq!(field_of(e), "rules[2].shape.radius_m");
    }

    #[test]
    fn shapes_are_tagged_json_like_commands() {
        let c: Shape = serde_json::from_str(
            r#"{"type": "circle", "latitude": 1.5, "longitude": 2.5, "radius_m": 300}"#,
        )
        .expect("circle");
        assert_eq!(
            c,
            Shape::Circle {
                latitude: 1.5,
                longitude: 2.5,
                radius_m: 300.0
            }
        );
        let p: Shape =
            serde_json::from_str(r#"{"type": "polygon", "points": [[0,0],[0,1],[1,1]]}"#)
                .expect("polygon");
        assert_eq!(
            serde_json::to_value(&p).expect("json"),
            serde_json::json!({"type": "polygon", "points": [[0.0,0.0],[0.0,1.0],[1.0,1.0]]})
        );
        for bad in [
            r#"{"type": "square", "side": 3}"#,
            r#"{"type": "circle", "latitude": 1, "longitude": 2, "radius_m": 30, "x": 1}"#,
            r#"{"type": "polygon", "points": [[0, 0, 0]]}"#,
        ] {
            assert!(serde_json::from_str::<Shape>(bad).is_err(), "{bad}");
        }
    }
}
