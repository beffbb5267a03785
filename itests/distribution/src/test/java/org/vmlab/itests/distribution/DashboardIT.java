package org.vmlab.itests.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by chromedriver through
 * Selenium, loads the page while a migration runs, sees its chart gain points, takes a
 * screenshot and checks it is not blank and the chart has its line drawn.
 */
@Timeout(300)
class DashboardIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The "MiB sent" series' colour in app.js (#1a5fb4). */
    private static final int[] SENT_COLOUR = {0x1a, 0x5f, 0xb4};

    private static Distribution dist;
    private static int port;
    private static Path userData;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "dashboard browser test skipped: Debian's chromium and chromium-driver are not installed (.ci/run installs them)");
        Path work = Path.of(System.getProperty("vmlab.work.dir")).resolveSibling("dist-it-dashboard");
        dist = Distribution.unpack(Path.of(System.getProperty("vmlab.dist.archive")), work);
        Files.writeString(dist.home.resolve("etc/org.vmlab.transport.cfg"), "port = 0\n");
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path web = dist.home.resolve("etc/org.ops4j.pax.web.cfg");
        Files.writeString(web, Files.readString(web).replace("org.osgi.service.http.port = 8181", "org.osgi.service.http.port = " + port));
        // The dashboard is off until its feature is installed: boot it with the instance.
        Path features = dist.home.resolve("etc/org.apache.karaf.features.cfg");
        Files.writeString(features, Files.readString(features).replaceFirst("(?m)^(\\s+config/[0-9.]+)$", "$1, \\\\\n    vmlab-dashboard"));
        userData = work.resolve("chromium-profile");
    }

    @AfterAll
    static void stop() throws Exception {
        if (dist != null) {
            dist.close();
            assertTrue(dist.karafProcess().isEmpty(), "the Karaf JVM is gone");
        }
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDashboardShowsARunningMigrationWithALiveChart() throws Exception {
        assertEquals(0, dist.vmlab("vm:create", "--memory", "512M", "--vcpus", "2", "--workload", "memory",
                "--param", "working-set=256M", "--param", "rate=32M", "dash-vm").exit());
        HttpResponse<String> state = null;
        for (int i = 0; i < 120 && (state == null || state.statusCode() != 200); i++) {
            try {
                state = get("/vmlab/api/state");
            } catch (IOException e) {
                Thread.sleep(500); // Pax Web still starting
            }
        }
        assertEquals(200, state.statusCode(), "the dashboard answers on 127.0.0.1:" + port);
        assertTrue(JSON.readTree(state.body()).get("vms").toString().contains("dash-vm"), state.body());
        assertEquals(403, rawStatus("evil.example:" + port), "another site's name for 127.0.0.1 is refused");
        Thread.sleep(8000); // the workload writes its working set once first

        String id = dist.vmlab("migration:start", "--async", "--rate", "250m", "dash-vm").stdout().strip();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", "--user-data-dir=" + userData);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        try {
            driver.get("http://127.0.0.1:" + port + "/vmlab/");
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
            By chart = By.id("chart-" + id);
            wait.until(d -> points(d.findElement(chart)) >= 2);
            int first = points(driver.findElement(chart));
            assertEquals("active", driver.findElement(chart).getAttribute("data-status"), "still running when the page loaded");
            wait.until(d -> points(d.findElement(chart)) > first);
            int later = points(driver.findElement(chart));
            Object drawn = ((JavascriptExecutor) driver).executeScript("return window.vmlabCharts[arguments[0]].data[0].length", id);
            assertEquals(later, ((Number) drawn).intValue(), "uPlot holds every sample the page got");

            WebElement canvas = driver.findElement(By.cssSelector("#chart-" + id + " canvas"));
            byte[] png = driver.getScreenshotAs(OutputType.BYTES);
            Path dir = Path.of(System.getProperty("vmlab.screenshot.dir"));
            Files.createDirectories(dir);
            Files.write(dir.resolve("dashboard.png"), png);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertTrue(nonBackground(image) > 0.03, "the page is not blank");
            Rectangle r = canvas.getRect();
            long line = colourPixels(image, r, SENT_COLOUR);
            assertTrue(line > 40, "the chart has its 'MiB sent' line drawn (" + line + " pixels of its colour in the chart)");
            System.out.printf("dashboard: chart went from %d to %d points; %d pixels of the line; screenshot %s%n",
                    first, later, line, dir.resolve("dashboard.png"));

            // The migration ends on the page too: its chart says so and its report is listed.
            new WebDriverWait(driver, Duration.ofSeconds(120)).until(d -> "completed".equals(d.findElement(chart).getAttribute("data-status")));
            assertTrue(driver.findElement(By.id("reports")).getText().contains(id), "the finished migration's report is listed");
        } finally {
            driver.quit();
        }
        dist.vmlab("migration:cancel", id);
    }

    private static int points(WebElement chart) {
        String p = chart.getAttribute("data-points");
        return p == null ? 0 : Integer.parseInt(p);
    }

    /** The status of a GET with this Host header, over a plain socket (HttpClient will not send another Host). */
    private static int rawStatus(String host) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /vmlab/api/state HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    private static double nonBackground(BufferedImage image) {
        int bg = image.getRGB(image.getWidth() - 2, image.getHeight() - 2);
        long other = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                if (image.getRGB(x, y) != bg) {
                    other++;
                }
            }
        }
        return other / (image.getWidth() / 2.0 * image.getHeight() / 2.0);
    }

    private static long colourPixels(BufferedImage image, Rectangle r, int[] rgb) {
        long n = 0;
        for (int y = Math.max(0, r.y); y < Math.min(image.getHeight(), r.y + r.height); y++) {
            for (int x = Math.max(0, r.x); x < Math.min(image.getWidth(), r.x + r.width); x++) {
                int p = image.getRGB(x, y);
                if (Math.abs((p >> 16 & 0xff) - rgb[0]) < 40 && Math.abs((p >> 8 & 0xff) - rgb[1]) < 40 && Math.abs((p & 0xff) - rgb[2]) < 40) {
                    n++;
                }
            }
        }
        return n;
    }
}
