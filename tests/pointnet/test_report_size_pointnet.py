"""run.max_report_gb: a PointNet run whose multimeter reports would exceed it refuses to start and says how big."""

from pnet import poisson_spikes, run_cli, small_network, spikes_input, vm_report, write_config


def test_multimeter_reports_over_the_bound_refuse_to_start(tmp_path, components):
    net = small_network(tmp_path / "net", n_exc=8, n_inh=2, n_lgn=10)
    spikes = poisson_spikes(tmp_path / "lgn.h5", 10, 10.0, 0.1)
    # 10 cells x (1000 samples + 3 mapping values) x 8 bytes per variable file = 80,240 B each
    reports = {"vm": vm_report(variable=["V_m", "I_syn_ex"], file_name="vm.h5")}
    path = write_config(tmp_path / "sim" / "config.json", net, components, 100.0, inputs={"lgn": spikes_input(spikes)},
                        reports=reports, run={"max_report_gb": 1e-4})
    proc = run_cli(path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    out = path.parent / "output"
    errors = [line for line in proc.stderr.splitlines() if line.startswith("simlib: error:")]
    assert errors == [f"simlib: error: {path.name}: run.max_report_gb: the reports would hold 0.00016 GB "
                      f"(uncompressed: {out / 'vm.V_m.h5'} 8.02e-05 GB, {out / 'vm.I_syn_ex.h5'} 8.02e-05 GB), more than "
                      f"the limit of 0.0001 GB; record fewer cells or sections, a longer report dt or a shorter run, or "
                      f"raise run.max_report_gb"], proc.stderr
    assert not out.exists() or not any(out.glob("*.h5"))
    # within the bound, the same run goes ahead
    path = write_config(tmp_path / "ok" / "config.json", net, components, 100.0, inputs={"lgn": spikes_input(spikes)},
                        reports=reports, run={"max_report_gb": 2e-4})
    proc = run_cli(path)
    assert proc.returncode == 0, proc.stderr[-2000:]
