package dev.embedloop.qdrant.local;

import io.qdrant.client.grpc.Common.GeoBoundingBox;
import io.qdrant.client.grpc.Common.GeoLineString;
import io.qdrant.client.grpc.Common.GeoPoint;
import io.qdrant.client.grpc.Common.GeoPolygon;
import io.qdrant.client.grpc.Common.GeoRadius;
import io.qdrant.client.grpc.JsonWithInt.Struct;
import io.qdrant.client.grpc.JsonWithInt.Value;
import java.util.List;
import java.util.function.Predicate;

/**
 * Qdrant's geo conditions on payload points ({@code {"lon": .., "lat": ..}} objects), as {@code types.rs} checks
 * them: {@code geo_radius} by haversine distance (the {@code geo} crate's mean Earth radius), strictly less than
 * the radius; {@code geo_bounding_box} strictly inside, a box whose left edge is east of its right edge crossing
 * the antimeridian; {@code geo_polygon} strictly inside the exterior ring and outside every interior ring (a
 * point on a ring is not contained, like the {@code geo} crate's {@code contains}).
 */
final class GeoConditions {

    /** The {@code geo} crate's {@code MEAN_EARTH_RADIUS}, in meters. */
    private static final double EARTH_RADIUS = 6_371_008.8;

    private GeoConditions() {
    }

    static Predicate<Value> radius(GeoRadius r) {
        double lon = r.getCenter().getLon();
        double lat = r.getCenter().getLat();
        double radius = r.getRadius();
        return point((x, y) -> haversine(lon, lat, x, y) < radius);
    }

    static Predicate<Value> boundingBox(GeoBoundingBox box) {
        GeoPoint topLeft = box.getTopLeft();
        GeoPoint bottomRight = box.getBottomRight();
        return point((lon, lat) -> {
            boolean lonInside = topLeft.getLon() > bottomRight.getLon()
                    ? lon > topLeft.getLon() || lon < bottomRight.getLon()
                    : topLeft.getLon() < lon && lon < bottomRight.getLon();
            return lonInside && bottomRight.getLat() < lat && lat < topLeft.getLat();
        });
    }

    static Predicate<Value> polygon(GeoPolygon polygon) {
        validate(polygon.getExterior());
        polygon.getInteriorsList().forEach(GeoConditions::validate);
        List<GeoPoint> exterior = polygon.getExterior().getPointsList();
        List<List<GeoPoint>> holes = polygon.getInteriorsList().stream().map(GeoLineString::getPointsList).toList();
        return point((lon, lat) -> {
            if (onRing(exterior, lon, lat) || !inside(exterior, lon, lat)) {
                return false;
            }
            for (List<GeoPoint> hole : holes) {
                if (onRing(hole, lon, lat) || inside(hole, lon, lat)) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Qdrant's {@code GeoPolygon::validate_line_string}. */
    private static void validate(GeoLineString line) {
        List<GeoPoint> points = line.getPointsList();
        if (points.size() <= 3) {
            throw QdrantErrors.badRequest("Validation error: polygon invalid, the size must be at least 4, got "
                    + points.size());
        }
        GeoPoint first = points.get(0);
        GeoPoint last = points.get(points.size() - 1);
        if (Math.abs(first.getLat() - last.getLat()) > Math.ulp(1.0) || Math.abs(first.getLon() - last.getLon())
                > Math.ulp(1.0)) {
            throw QdrantErrors.badRequest("Validation error: polygon invalid, the first and the last points should"
                    + " be the same to form a closed line");
        }
    }

    @FunctionalInterface
    private interface PointTest {
        boolean test(double lon, double lat);
    }

    /** A payload value that is a geo point ({@code lon} and {@code lat} numbers) passing {@code test}. */
    private static Predicate<Value> point(PointTest test) {
        return v -> {
            if (!v.hasStructValue()) {
                return false;
            }
            Struct s = v.getStructValue();
            Double lon = number(s.getFieldsMap().get("lon"));
            Double lat = number(s.getFieldsMap().get("lat"));
            return lon != null && lat != null && test.test(lon, lat);
        };
    }

    private static Double number(Value v) {
        if (v == null) {
            return null;
        }
        return v.hasDoubleValue() ? Double.valueOf(v.getDoubleValue())
                : v.hasIntegerValue() ? Double.valueOf(v.getIntegerValue()) : null;
    }

    static double haversine(double lon1, double lat1, double lon2, double lat2) {
        double phi1 = Math.toRadians(lat1);
        double phi2 = Math.toRadians(lat2);
        double dPhi = Math.toRadians(lat2 - lat1);
        double dLambda = Math.toRadians(lon2 - lon1);
        double a = Math.sin(dPhi / 2) * Math.sin(dPhi / 2)
                + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) * Math.sin(dLambda / 2);
        return 2 * EARTH_RADIUS * Math.asin(Math.sqrt(a));
    }

    /** Even-odd ray casting in the lon/lat plane. */
    private static boolean inside(List<GeoPoint> ring, double x, double y) {
        boolean inside = false;
        for (int i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
            double xi = ring.get(i).getLon();
            double yi = ring.get(i).getLat();
            double xj = ring.get(j).getLon();
            double yj = ring.get(j).getLat();
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) {
                inside = !inside;
            }
        }
        return inside;
    }

    private static boolean onRing(List<GeoPoint> ring, double x, double y) {
        for (int i = 1; i < ring.size(); i++) {
            double x1 = ring.get(i - 1).getLon();
            double y1 = ring.get(i - 1).getLat();
            double x2 = ring.get(i).getLon();
            double y2 = ring.get(i).getLat();
            double cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
            if (cross == 0 && Math.min(x1, x2) <= x && x <= Math.max(x1, x2) && Math.min(y1, y2) <= y
                    && y <= Math.max(y1, y2)) {
                return true;
            }
        }
        return false;
    }
}
