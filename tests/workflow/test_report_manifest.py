"""simlib.workflow.report (captions' values and categories) and simlib.workflow.manifest."""

import hashlib
import json

from simlib.workflow import manifest, report


def test_categories_by_stage(tiny):
    assert report.simulation_category(tiny, "l4_poisson") == "4. BioNet simulations"
    assert report.simulation_category(tiny, "l4_ecp", "lfp_csd") == "5. Extracellular potentials"
    assert report.simulation_category(tiny, "l4_point") == "6. PointNet simulations"
    assert report.raster_category(tiny, "lgn_flash") == "3. FilterNet (LGN)"
    assert report.raster_category(tiny, "lgn_poisson") == "2. Input spike trains"


def test_caption_values(tiny):
    about = report.simulation_about(tiny, "l4_point")
    assert about["run"] == "PointNet on NEST, 2 thread(s), rng_seed NEST default"
    assert about["network"].startswith("l4_point: point-neuron version of l4 (model l4_tutorial, scale=0.1, seed 7)")
    assert about["inputs"] == ["LGN_spikes: lgn_poisson: 150.0 Hz Poisson for LGN, 0.0–0.5 s, seed 0"]
    assert report.simulation_about(tiny, "l4_flash")["inputs"][0].startswith(
        "LGN_spikes: FilterNet run flash (LGN spikes for module=full_field_flash")
    assert "IClamp" in report.simulation_about(tiny, "l4_perturbation")["inputs"][1]
    assert report.raster_about(tiny, "lgn_poisson")["source"].startswith("lgn_poisson: 150.0 Hz Poisson")


def test_measured_rates_are_read_when_rendered(tmp_path):
    measured = report.MeasuredRates(tmp_path / "rates.csv")
    assert str(measured) == "(not measured yet)" and measured.rows == []
    (tmp_path / "rates.csv").write_text("population,node_population,cells,mean_hz,sd_hz,median_hz\n"
                                        "PV1,V1,6,43.3333,37.2181,31.6667\nRorb,V1,8,24.5,7.0,25\n")
    assert str(measured) == "PV1: 43.33 ± 37.22 Hz (6 cells); Rorb: 24.50 ± 7.00 Hz (8 cells)"
    assert repr(measured) == f"MeasuredRates({str(tmp_path / 'rates.csv')!r})"


def test_manifest_lists_results_with_their_hashes(tiny, tmp_path):
    results = tmp_path / "results"
    (results / "sims/a/output").mkdir(parents=True)
    (results / "sims/a/output/spikes.h5").write_bytes(b"spikes")
    (results / "sims/a/output/log.txt").write_text("12:00 ran")
    (results / "mechanisms/x86_64").mkdir(parents=True)
    (results / "mechanisms/x86_64/libnrnmech.so").write_bytes(b"elf")
    (results / "figures").mkdir()
    (results / "figures/.hidden.tmp.png").write_bytes(b"partial")
    path = manifest.write_manifest(results / "manifest.json", tiny, results_dir=results)
    data = json.loads(path.read_text())
    assert data["results"] == {"results/sims/a/output/spikes.h5": hashlib.sha256(b"spikes").hexdigest()}
    assert data["seeds"]["networks.l4.seed"] == 7 and data["seeds"]["filternet.flash.seed"] == 1
    assert data["config"]["networks"]["l4"]["params"] == {"scale": 0.1}
    assert len(data["mechanisms"]["sources_sha256"]) == 64 and data["versions"]["simlib"]
    first = path.read_bytes()
    manifest.write_manifest(results / "manifest.json", tiny, results_dir=results)
    assert path.read_bytes() == first                       # no time or host inside: the same bytes again
