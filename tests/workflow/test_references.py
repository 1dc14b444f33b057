"""simlib.workflow.references: every name a workflow config refers to must be defined in it."""

import copy

import pytest
from workflow_configs import load_config

from simlib.workflow.references import reference_problems


@pytest.mark.parametrize("names", [("config.yaml",), ("tiny.yaml",), ("config.yaml", "nwb.yaml"),
                                   ("config.yaml", "allen.yaml"), ("tiny.yaml", "nwb.yaml")])
def test_shipped_configs_have_no_problems(repo, names):
    """As written (the schema's defaults not filled) and as the rules see them."""
    assert reference_problems(load_config(repo, *names, defaults=False), repo) == []
    assert reference_problems(load_config(repo, *names), repo) == []


def problems_after(config, repo, change) -> list[str]:
    config = copy.deepcopy(config)
    change(config)
    return reference_problems(config, repo)


@pytest.mark.parametrize("change, expected", [
    (lambda c: c["simulations"]["l4_poisson"].update(network="l5"),
     "simulations.l4_poisson.network: 'l5' is not an entry of networks or point_networks"),
    (lambda c: c["simulations"]["l4_poisson"].update(components="online"),
     "simulations.l4_poisson.components: 'online' is not an entry of components"),
    (lambda c: c["simulations"]["l4_poisson"]["inputs"]["LGN_spikes"].update(spikes="nope"),
     "simulations.l4_poisson.inputs.LGN_spikes.spikes: 'nope' is not an entry of spikes"),
    (lambda c: c["simulations"]["l4_flash"]["inputs"]["LGN_spikes"].update(filternet="dark"),
     "simulations.l4_flash.inputs.LGN_spikes.filternet: 'dark' is not an entry of filternet"),
    (lambda c: c["simulations"]["l4_poisson"]["figures"]["traces"].update(report="vm"),
     "simulations.l4_poisson.figures.traces.report: 'vm' is not a report of it"),
    (lambda c: c["simulations"]["l4_ecp"]["figures"]["spectrum"].update(report="membrane"),
     "simulations.l4_ecp.figures.spectrum.report: 'membrane' is not an extracellular report of it"),
    (lambda c: c["simulations"]["l4_poisson"]["figures"].update(ecp={"report": "membrane_potential"}),
     "simulations.l4_poisson.figures.ecp.report: 'membrane_potential' is not an extracellular report of it"),
    (lambda c: c["simulations"]["l4_poisson"].update(backend="coreneuron"),
     "simulations.l4_poisson.backend: coreneuron needs mechanisms.coreneuron: true"),
    (lambda c: c["simulations"]["spikes_function"].update(functions_file="examples/missing.py"),
     "simulations.spikes_function.functions_file: file not found: examples/missing.py"),
    (lambda c: c["spikes"]["lgn_poisson"].update(network="l5"),
     "spikes.lgn_poisson.network: 'l5' is not an entry of networks"),
    (lambda c: c["filternet"]["flash"].update(network="l5"),
     "filternet.flash.network: 'l5' is not an entry of networks"),
    (lambda c: c["filternet"]["flash"].update(components="online"),
     "filternet.flash.components: 'online' is not an entry of components"),
    (lambda c: c["figures"]["rasters"]["lgn_flash"].update(spikes="lgn_poisson"),
     "figures.rasters.lgn_flash: give exactly one of spikes or filternet"),
    (lambda c: c["figures"]["rasters"]["lgn_flash"].pop("filternet"),
     "figures.rasters.lgn_flash: give exactly one of spikes or filternet"),
    (lambda c: c["figures"]["rasters"]["lgn_flash"].update(filternet="dark"),
     "figures.rasters.lgn_flash.filternet: 'dark' is not an entry of filternet"),
    (lambda c: c["figures"]["rasters"]["lgn_poisson"].update(spikes="nope"),
     "figures.rasters.lgn_poisson.spikes: 'nope' is not an entry of spikes"),
    (lambda c: c["point_networks"]["l4_point"].update(network="l5"),
     "point_networks.l4_point.network: 'l5' is not an entry of networks"),
    (lambda c: c["point_networks"].update(l4=c["point_networks"]["l4_point"]),
     "point_networks.l4: the name is also an entry of networks; give it another"),
    (lambda c: c["simulations"]["l4_point"].pop("simulator"),
     "simulations.l4_point.network: 'l4_point' is a point network; run it with simulator: pointnet"),
    (lambda c: c["simulations"]["l4_point"].update(components="offline"),
     "simulations.l4_point.components: 'offline' has source offline; expected source: point for a PointNet run"),
    (lambda c: c["simulations"]["l4_poisson"].update(components="point"),
     "simulations.l4_poisson.components: 'point' has source point; expected cell models for a BioNet run"),
    (lambda c: c["simulations"]["l4_point"]["figures"]["rates_comparison"].update(reference="l5_run"),
     "simulations.l4_point.figures.rates_comparison.reference: 'l5_run' is not an entry of simulations"),
    (lambda c: c["simulations"]["l4_point"]["figures"]["rates_comparison"].update(reference="csv_ramp"),
     "simulations.l4_point.figures.rates_comparison.reference: 'csv_ramp' simulates network 'l4_inputs', not the "
     "nodes of 'l4_point'"),
    (lambda c: c["sweeps"]["lgn_rate"].update(simulation="l4_population"),
     "sweeps.lgn_rate.simulation: 'l4_population' is a PopNet run; sweeps run BioNet and PointNet simulations"),
    (lambda c: c["population_networks"]["l4_population"].update(network="l5"),
     "population_networks.l4_population.network: 'l5' is not an entry of networks"),
    (lambda c: c["population_networks"].update(l4_point=c["population_networks"]["l4_population"]),
     "population_networks.l4_point: the name is also an entry of networks or point_networks; give it another"),
    (lambda c: c["simulations"]["l4_population"].update(network="l4"),
     "simulations.l4_population.network: 'l4' is not an entry of population_networks (simulator: popnet)"),
    (lambda c: c["simulations"]["l4_population"].update(components="offline"),
     "simulations.l4_population.components: a PopNet run takes none (its rates come with the population network)"),
    (lambda c: c["simulations"]["l4_population"]["figures"].update(raster={}),
     "simulations.l4_population.figures.raster: not a PopNet figure; accepted: rates, resolutions"),
    (lambda c: c["simulations"]["l4_poisson"]["figures"].update(rates={}),
     "simulations.l4_poisson.figures.rates: a PopNet figure; this is a bionet simulation"),
    (lambda c: c["simulations"]["l4_population"]["figures"]["resolutions"].update(bionet="l5_run"),
     "simulations.l4_population.figures.resolutions.bionet: 'l5_run' is not an entry of simulations"),
    (lambda c: c["simulations"]["l4_population"]["figures"]["resolutions"].update(bionet="l4_point"),
     "simulations.l4_population.figures.resolutions.bionet: 'l4_point' is not a bionet simulation"),
    (lambda c: c["simulations"]["l4_population"]["figures"]["resolutions"].update(pointnet="pointnet_tutorial"),
     "simulations.l4_population.figures.resolutions.pointnet: 'pointnet_tutorial' simulates network "
     "'pointnet_tutorial', not 'l4' (the source of l4_population)"),
])
def test_each_problem_is_named(repo, tiny, change, expected):
    assert problems_after(tiny, repo, change) == [expected]


def test_coreneuron_backend_with_coreneuron_mechanisms(repo, tiny):
    def change(c):
        c["simulations"]["l4_poisson"]["backend"] = "coreneuron"
        c["mechanisms"]["coreneuron"] = True
    assert problems_after(tiny, repo, change) == []


def test_functions_file_is_found_against_basedir(tiny, tmp_path):
    assert any("functions_file" in p for p in reference_problems(tiny, tmp_path))


def test_every_problem_at_once(repo, tiny):
    def change(c):
        c["simulations"]["l4_poisson"].update(network="l5", components="online")
        c["spikes"]["inputs_ramp"]["network"] = "l6"
        c["filternet"]["flash"]["components"] = "online"
    assert problems_after(tiny, repo, change) == [
        "simulations.l4_poisson.network: 'l5' is not an entry of networks or point_networks",
        "simulations.l4_poisson.components: 'online' is not an entry of components",
        "spikes.inputs_ramp.network: 'l6' is not an entry of networks",
        "filternet.flash.components: 'online' is not an entry of components"]
